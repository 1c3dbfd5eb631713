// Draws a franchise's figures on Google from the JSON the page embeds (json_script: CSP-safe, no
// inline script): lines of the daily figures, bars of the posts published each day on a second
// axis, so a rise after posting shows. The totals table on the page holds the numbers without JS.
(function () {
  "use strict";

  var COLORS = {
    views: "#1a73e8", website: "#1a7f37", calls: "#9a6700", directions: "#cf222e",
    messages: "#bf3989", conversations: "#8250df", bookings: "#0a7ea4", posts: "rgba(89, 99, 110, 0.35)"
  };

  function chart(canvas, labels, series, posts) {
    var datasets = series.map(function (item) {
      return {
        type: "line", label: item.label, data: item.data, borderColor: COLORS[item.key],
        backgroundColor: COLORS[item.key], pointRadius: 0, borderWidth: 2, spanGaps: false, yAxisID: "y"
      };
    });
    datasets.push({ type: "bar", label: "Posts published", data: posts, backgroundColor: COLORS.posts, yAxisID: "posts" });
    return new window.Chart(canvas, {
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { ticks: { maxTicksLimit: 10 } },
          y: { beginAtZero: true, position: "left" },
          posts: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                   ticks: { precision: 0 }, suggestedMax: 4, title: { display: true, text: "posts" } }
        }
      }
    });
  }

  function draw() {
    var source = document.getElementById("insights-data");
    if (!source || !window.Chart) return;
    var data = JSON.parse(source.textContent);
    // Views on one chart, every action the page has figures of on the other.
    var views = data.series.filter(function (item) { return item.key === "views"; });
    var actions = data.series.filter(function (item) { return item.key !== "views"; });

    var viewsCanvas = document.getElementById("chart-views");
    if (viewsCanvas) chart(viewsCanvas, data.labels, views, data.posts);
    var actionsCanvas = document.getElementById("chart-actions");
    if (actionsCanvas) chart(actionsCanvas, data.labels, actions, data.posts);
    document.documentElement.setAttribute("data-charts", "drawn");
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
