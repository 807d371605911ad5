// The report's calls per day, stacked by outcome, drawn by Chart.js (vendor/, MIT, pinned;
// served from Centrala's own static files). The same numbers are in the table beside it.
(function () {
  "use strict";
  const source = document.getElementById("per-day-data");
  const canvas = document.getElementById("calls-per-day");
  if (!source || !canvas || !window.Chart) {
    return;
  }
  const data = JSON.parse(source.textContent);
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.series.map(function (series) {
        return { label: series.label, data: series.data, backgroundColor: series.color, stack: "calls" };
      }),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { legend: { position: "bottom" } },
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
})();
