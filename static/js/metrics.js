// Draws the metrics page's charts from the JSON the page embeds (json_script: CSP-safe, no
// inline script). The table on the page holds the same numbers for screen readers and no-JS.
(function () {
  "use strict";

  var COLORS = ["#1a73e8", "#1a7f37", "#9a6700", "#cf222e", "#8250df", "#0a7ea4", "#bf3989", "#59636e"];

  function bar(canvas, labels, datasets, options) {
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, options || {})
    });
  }

  // A long label cut at the last whole word that fits, never mid-word (the table has it whole).
  function shortened(text, limit) {
    if (text.length <= limit) return text;
    var cut = text.slice(0, limit - 1);
    var space = cut.lastIndexOf(" ");
    return (space > limit / 2 ? cut.slice(0, space) : cut).replace(/[\s,.:;]+$/, "") + "…";
  }

  function draw() {
    var source = document.getElementById("metrics-data");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);

    var success = document.getElementById("chart-success");
    if (success) {
      bar(success, data.labels, [{ label: "Success rate (%)", data: data.successRate, backgroundColor: COLORS[1] }],
        { scales: { y: { min: 0, max: 100 } } });
    }

    var time = document.getElementById("chart-time");
    if (time) {
      bar(time, data.labels, [
        { label: "Mean", data: data.mean, backgroundColor: COLORS[0] },
        { label: "Median", data: data.median, backgroundColor: COLORS[5] },
        { label: "95th percentile", data: data.p95, backgroundColor: COLORS[2] }
      ], { scales: { y: { beginAtZero: true, title: { display: true, text: "seconds" } } } });
    }

    var reasons = document.getElementById("chart-reasons");
    if (reasons) {
      var labels = data.reasons.map(function (row) { return shortened(row.reason, 40); });
      bar(reasons, labels, [{
        label: "Failed posts",
        data: data.reasons.map(function (row) { return row.count; }),
        backgroundColor: COLORS[3]
      }], { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } });
    }
    document.documentElement.setAttribute("data-charts", "drawn");
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
