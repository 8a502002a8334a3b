// Copy buttons for referral links: <button data-copy="input-id">. Loaded with the member
// page's referral panel (inline scripts are not allowed by the content security policy).
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
      if (status) status.textContent = "Copied.";
    } catch {
      field.focus();
      field.select(); // no clipboard access (plain http): selected, ready for Ctrl+C
      if (status) status.textContent = "Selected: copy it with your keyboard.";
    }
  });
}
