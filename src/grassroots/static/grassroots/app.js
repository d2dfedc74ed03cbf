// A search box beside a select only looks up choices (htmx swaps them in): pressing Enter
// in it must not submit the form around it.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.matches("input[data-lookup]")) {
    event.preventDefault();
  }
});
