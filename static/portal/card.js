// The card page's one script: share (or copy) the invitation link, and install the
// service worker that lets the card open as an app. The page works without it.
(function () {
  "use strict";
  var script = document.currentScript;

  document.querySelectorAll("button.share").forEach(function (button) {
    var url = button.dataset.shareUrl;
    var canShare = typeof navigator.share === "function";
    var canCopy = navigator.clipboard && typeof navigator.clipboard.writeText === "function";
    if (!canShare && !canCopy) return;
    if (!canShare) button.textContent = button.dataset.copyLabel || button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (canShare) {
        navigator.share({ title: button.dataset.shareTitle, url: url }).catch(function () {});
      } else {
        navigator.clipboard.writeText(url).then(function () {
          button.textContent = button.dataset.copied;
        });
      }
    });
  });

  if ("serviceWorker" in navigator && script && script.dataset.sw) {
    navigator.serviceWorker.register(script.dataset.sw).catch(function () {});
  }
})();
