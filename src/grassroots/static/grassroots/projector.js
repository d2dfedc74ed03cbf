// The projector page of a conference: reload every five seconds to show the votes as they come.
window.setTimeout(function () { window.location.reload(); }, 5000);
