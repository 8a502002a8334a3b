// Copy buttons: <button data-copy="input-id"> copies that field (a referral link). Loaded
// on every page, listening on the document, so buttons in sections htmx loads later work
// from the first tap (a script loaded with the section itself could come too late).
"use strict";

if (!window.fidelizaCopyButtons) {
  window.fidelizaCopyButtons = true;
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    const id = button.dataset.copy;
    const field = document.getElementById(id);
    const status = document.querySelector(`[data-copy-status="${id}"]`);
    if (!field) return;
    try {
      await navigator.clipboard.writeText(field.value);
      if (status) status.textContent = gettext("Copied.");
    } catch {
      field.focus();
      field.select(); // no clipboard access (plain http): selected, ready for Ctrl+C
      if (status) status.textContent = gettext("Selected: copy it with your keyboard.");
    }
  });
}
