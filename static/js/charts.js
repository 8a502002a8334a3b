// Draws the analytics cards' charts with Chart.js (static/vendor/chartjs). Each chart's
// data comes in a JSON script next to its canvas; the same numbers are in the card's
// table, so the page says everything without this file.
"use strict";

(() => {
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  // Numbers and dates in the page's language (<html lang>, the active language).
  const lang = document.documentElement.lang || undefined;
  const numberFormat = new Intl.NumberFormat(lang);
  const dayFormat = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short" });
  const longDayFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium" });
  const monthFormat = new Intl.DateTimeFormat(lang, { month: "short", year: "numeric" });

  // The server sends days as ISO dates ("2026-12-02") and months as "2026-12"; other
  // labels (names, already in the page's language) stay as they are.
  function dateLabel(label, long = false) {
    if (typeof label !== "string") return label;
    let match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(label);
    if (match) {
      const day = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
      return (long ? longDayFormat : dayFormat).format(day);
    }
    match = /^(\d{4})-(\d{2})$/.exec(label);
    if (match) return monthFormat.format(new Date(Number(match[1]), Number(match[2]) - 1, 1));
    return label;
  }

  // Category axes show the labels (dates formatted), value axes the numbers.
  function ticks(axis, spec) {
    const categories = spec.horizontal ? axis === "y" : axis === "x";
    return {
      callback: categories
        ? function (value) {
            return dateLabel(this.getLabelForValue(value));
          }
        : (value) => numberFormat.format(value),
    };
  }

  function options(spec) {
    const scaled = spec.type === "bar" || spec.type === "line";
    return {
      responsive: true,
      maintainAspectRatio: false,
      locale: lang, // Chart.js's own number formatting (tooltips) in the same language
      animation: reducedMotion ? false : { duration: 300 },
      indexAxis: spec.horizontal ? "y" : "x",
      plugins: {
        legend: { display: spec.data.datasets.length > 1 || spec.type === "doughnut" },
        tooltip: {
          callbacks: { title: (items) => (items.length ? dateLabel(items[0].label, true) : "") },
        },
      },
      scales: scaled
        ? {
            x: { stacked: Boolean(spec.stacked), ticks: ticks("x", spec) },
            y: { stacked: Boolean(spec.stacked), beginAtZero: true, ticks: ticks("y", spec) },
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
