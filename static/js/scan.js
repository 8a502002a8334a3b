// Scan a member's QR card with the device camera and put the code into the search box.
// Needs a secure context (HTTPS or localhost); without a camera the typed search still works.
"use strict";

(() => {
  const button = document.querySelector("[data-scan-for]");
  const dialog = document.getElementById("scan-dialog");
  if (!button || !dialog) return;
  const input = document.getElementById(button.dataset.scanFor);
  const video = dialog.querySelector("video");
  const status = dialog.querySelector("[data-scan-status]");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let stream = null;

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    button.hidden = true; // no camera API here: the search box takes the typed code
    return;
  }

  function stop() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    if (dialog.open) dialog.close();
  }

  function found(code) {
    stop();
    input.value = code;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  }

  function scanFrame() {
    if (!stream) return;
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const result = window.jsQR(image.data, image.width, image.height, {
        inversionAttempts: "dontInvert",
      });
      if (result && result.data) {
        found(result.data.trim());
        return;
      }
    }
    requestAnimationFrame(scanFrame);
  }

  button.addEventListener("click", async () => {
    status.textContent = gettext("Starting the camera…");
    dialog.showModal();
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
      video.srcObject = stream;
      await video.play();
      status.textContent = gettext("Point the camera at the member's QR code.");
      requestAnimationFrame(scanFrame);
    } catch (error) {
      status.textContent = gettext("The camera is not available. Type the card code instead.");
    }
  });
  dialog.addEventListener("close", stop);
  dialog.querySelector("[data-scan-close]").addEventListener("click", stop);
})();
