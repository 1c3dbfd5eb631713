// Small enhancements; every page works without them.
(function () {
  "use strict";

  // Live character count for the post text (Google allows 1,500 characters).
  function setUpCharCount() {
    var summary = document.getElementById("summary");
    var counter = document.getElementById("char-count");
    if (!summary || !counter) return;
    var limit = parseInt(counter.getAttribute("data-limit") || "1500", 10);
    function update() {
      var length = summary.value.length;
      counter.textContent = length.toLocaleString("en") + " / " + limit.toLocaleString("en") + " characters" +
        (length > limit ? " — " + (length - limit).toLocaleString("en") + " too many" : "");
      counter.classList.toggle("over", length > limit);
    }
    summary.addEventListener("input", update);
    update();
  }

  // Show only the fields of the chosen post type (event fields for events and offers, offer
  // fields for offers). Without JavaScript every field shows, labelled with the types it is for.
  function setUpTopicFields() {
    var topic = document.getElementById("id_topic_type");
    if (!topic) return;
    var groups = document.querySelectorAll("[data-topics]");
    function update() {
      groups.forEach(function (group) {
        var wanted = group.getAttribute("data-topics").split(" ");
        group.hidden = wanted.indexOf(topic.value) === -1;
      });
    }
    topic.addEventListener("change", update);
    update();
  }

  // A "Call now" button takes no link.
  function setUpCallToAction() {
    var action = document.getElementById("id_cta_action_type");
    var url = document.getElementById("cta-url-field");
    if (!action || !url) return;
    function update() { url.hidden = action.value === "" || action.value === "CALL"; }
    action.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpCharCount();
    setUpTopicFields();
    setUpCallToAction();
  });
})();
