// Draws the analytics cards' charts with Chart.js (static/vendor/chartjs). Each chart's
// data comes in a JSON script next to its canvas; the same numbers are in the card's
// table, so the page says everything without this file.
"use strict";

(() => {
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function options(spec) {
    const scaled = spec.type === "bar" || spec.type === "line";
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: reducedMotion ? false : { duration: 300 },
      indexAxis: spec.horizontal ? "y" : "x",
      plugins: { legend: { display: spec.data.datasets.length > 1 || spec.type === "doughnut" } },
      scales: scaled
        ? {
            x: { stacked: Boolean(spec.stacked) },
            y: { stacked: Boolean(spec.stacked), beginAtZero: true },
          }
        : {},
    };
  }

  function draw(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      if (Chart.getChart(canvas)) return;
      const source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      const spec = JSON.parse(source.textContent);
      new Chart(canvas, { type: spec.type, data: spec.data, options: options(spec) });
      canvas.dataset.drawn = "true";
    });
  }

  // htmx:load fires for the page and for every card swapped in.
  document.addEventListener("htmx:load", (event) => draw(event.target));
  document.addEventListener("DOMContentLoaded", () => draw(document));
})();
