// The calendar: drag a scheduled post onto another day to move it there (same time of day), and
// click an empty part of a day to write a new post for it. Without JavaScript, and from the
// keyboard, each scheduled post has a "Move" link and each day a "+" link doing the same.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (error) {
      return "";
    }
  }

  function say(text) {
    var status = document.getElementById("calendar-status");
    if (status) status.textContent = text;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var calendar = document.getElementById("calendar");
    if (!calendar) return;
    var dragged = null;

    calendar.querySelectorAll("[data-move-url]").forEach(function (item) {
      item.setAttribute("draggable", "true");
      item.addEventListener("dragstart", function (event) {
        dragged = item;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.getAttribute("data-post"));
        item.classList.add("dragging");
      });
      item.addEventListener("dragend", function () {
        item.classList.remove("dragging");
        dragged = null;
      });
    });

    calendar.querySelectorAll(".day").forEach(function (day) {
      day.addEventListener("dragover", function (event) {
        if (!dragged) return;
        event.preventDefault();
        day.classList.add("drop-target");
      });
      day.addEventListener("dragleave", function () { day.classList.remove("drop-target"); });
      day.addEventListener("drop", function (event) {
        event.preventDefault();
        day.classList.remove("drop-target");
        if (!dragged) return;
        var body = new FormData();
        body.append("day", day.getAttribute("data-date"));
        say("Moving…");
        fetch(dragged.getAttribute("data-move-url"), {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
        }).then(function (response) {
          if (response.ok) {
            window.location.reload();  // the page says where it went
          } else {
            response.text().then(say);
          }
        }, function () { say("Not moved: the server could not be reached."); });
      });
      // A click on a day's empty space writes a new post for it (its "+" link, for days ahead).
      day.addEventListener("click", function (event) {
        if (event.target !== day && !event.target.classList.contains("day-number")) return;
        var link = day.querySelector("[data-new-post]");
        if (link) window.location.href = link.href;
      });
    });
  });
})();
