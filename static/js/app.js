// Progressive enhancements only: every page works without this file.
"use strict";

// On "new business" forms, preselect the browser's own time zone when the server could
// not guess one (it only knows the browser's language, not where it is).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[data-guess-timezone]").forEach((select) => {
    if (select.value !== "UTC") return;
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && [...select.options].some((option) => option.value === zone)) {
      select.value = zone;
    }
  });
});

// Close an open dropdown menu with Escape, returning focus to its button.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.dropdown[open]").forEach((details) => {
    details.open = false;
    details.querySelector("summary")?.focus();
  });
});

// Print buttons (inline onclick handlers are not allowed by the content security policy).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
