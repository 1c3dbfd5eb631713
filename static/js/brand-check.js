// The editor's check as you type: the content is sent to the check endpoint (posts/views/brand.py)
// a moment after each change, and what breaks Google's or the brand's rules is listed beside the
// form, each with its rule and a link to its field. Saving is checked again on the server; without
// JavaScript the page works as before.
(function () {
  "use strict";

  function setUp() {
    var form = document.getElementById("post-form");
    var panel = document.getElementById("brand-check");
    if (!form || !panel) return;
    var url = panel.getAttribute("data-check-url");
    var list = document.getElementById("brand-check-list");
    var status = document.getElementById("brand-check-status");
    var timer = null;
    var sent = 0;

    function show(problems) {
      list.textContent = "";
      problems.forEach(function (problem) {
        var item = document.createElement("li");
        item.setAttribute("data-rule", problem.rule);
        item.setAttribute("data-field", problem.field);
        var link = document.createElement("a");
        link.href = "#" + (problem.field === "summary" ? "summary" : "id_" + problem.field);
        link.textContent = problem.message;
        item.appendChild(link);
        list.appendChild(item);
      });
      status.textContent = problems.length
        ? problems.length + (problems.length === 1 ? " problem keeps" : " problems keep") + " this post off the schedule:"
        : "No problems: this post can be scheduled.";
      panel.classList.toggle("has-problems", problems.length > 0);
    }

    function check() {
      var mine = ++sent;
      fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) { if (answer && mine === sent) show(answer.problems); })
        .catch(function () { /* the server checks again on save */ });
    }

    function soon() {
      clearTimeout(timer);
      timer = setTimeout(check, 400);
    }

    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
    panel.hidden = false;
    check();
  }

  document.addEventListener("DOMContentLoaded", setUp);
})();
