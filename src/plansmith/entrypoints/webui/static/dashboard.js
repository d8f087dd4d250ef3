// The dashboard's charts: progressive enhancement over the figures tables. Each currency's
// <figure class="chart"> holds its data as JSON; without Chart.js (or JavaScript) the figure
// stays hidden and the tables say everything.
(function () {
  "use strict";
  if (typeof window.Chart !== "function") {
    return;
  }
  var colors = ["#2f6fde", "#e07a1f", "#2e9e6b", "#b8478c", "#7a5bd6", "#c9a227", "#3aa3b5", "#8a8a8a"];
  document.querySelectorAll("figure.chart").forEach(function (figure) {
    var source = figure.querySelector("script.chart-data");
    var canvas = figure.querySelector("canvas");
    if (!source || !canvas) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var scale = Math.pow(10, data.exponent);
    var format = new Intl.NumberFormat(data.locale, { style: "currency", currency: data.currency });
    figure.hidden = false;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, i) {
          return {
            label: series.label,
            data: series.values.map(function (minor) { return minor / scale; }),
            backgroundColor: colors[i % colors.length]
          };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        locale: data.locale,
        animation: false,
        scales: {
          x: { stacked: true, reverse: document.dir === "rtl" },
          y: { stacked: true, beginAtZero: true, ticks: { callback: function (v) { return format.format(v); } } }
        },
        plugins: {
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + format.format(c.parsed.y); } } }
        }
      }
    });
  });
})();
