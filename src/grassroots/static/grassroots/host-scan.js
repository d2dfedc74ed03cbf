// The host page's camera scan (no inline script: the site's Content-Security-Policy stays as it
// is). Where the browser reads QR codes itself (BarcodeDetector, e.g. Chrome on Android), a
// button opens the back camera; the first code read fills the code field and sends the form,
// and after the page comes back the scan goes on until the host stops it. Elsewhere the scanner
// stays hidden and the host types the code.
(() => {
  const box = document.getElementById("scanner");
  const form = document.getElementById("scan-form");
  if (!box || !form || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
    return;
  }
  const input = form.querySelector("input[name=code]");
  const start = document.getElementById("scan-start");
  const stop = document.getElementById("scan-stop");
  const status = document.getElementById("scan-status");
  const video = document.getElementById("scan-video");
  const KEEP = "grassroots.host-scan";
  let stream = null;

  const halt = () => {
    if (stream) {
      stream.getTracks().forEach((track) => track.stop());
      stream = null;
    }
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  };

  const scan = async () => {
    let detector;
    try {
      const formats = await BarcodeDetector.getSupportedFormats();
      if (!formats.includes("qr_code")) {
        throw new Error("no QR codes");
      }
      detector = new BarcodeDetector({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (error) {
      sessionStorage.removeItem(KEEP);
      status.textContent = "The camera cannot read codes here: type the code above.";
      halt();
      return;
    }
    sessionStorage.setItem(KEEP, "1");
    video.srcObject = stream;
    video.hidden = false;
    start.hidden = true;
    stop.hidden = false;
    status.textContent = "Hold the code in front of the camera.";
    await video.play().catch(() => {});
    const look = async () => {
      if (!stream) {
        return;
      }
      const codes = await detector.detect(video).catch(() => []);
      if (codes.length > 0 && codes[0].rawValue) {
        input.value = codes[0].rawValue;
        halt();
        form.requestSubmit();
        return;
      }
      setTimeout(look, 250);
    };
    look();
  };

  box.hidden = false;
  start.addEventListener("click", scan);
  stop.addEventListener("click", () => {
    sessionStorage.removeItem(KEEP);
    status.textContent = "";
    halt();
  });
  if (sessionStorage.getItem(KEEP) === "1") {
    scan();
  }
})();
