// Small enhancements; every page works without them.
(function () {
  "use strict";

  // A post text's length as Google counts it: Unicode code points, a line break once. The same
  // count as the server's (posts/models.py: summary_length, where the source is cited). Not
  // String.length, which counts UTF-16 units: an emoji would count twice.
  function summaryLength(text) {
    return Array.from(text.replace(/\r\n/g, "\n")).length; // Array.from splits by code point
  }

  // Live character count for the post text (Google allows 1,500 characters).
  function setUpCharCount() {
    var summary = document.getElementById("summary");
    var counter = document.getElementById("char-count");
    if (!summary || !counter) return;
    var limit = parseInt(counter.getAttribute("data-limit") || "1500", 10);
    function update() {
      var length = summaryLength(summary.value);
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
        // A field with an error stays in sight: the error summary links to it.
        group.hidden = wanted.indexOf(topic.value) === -1 && !group.querySelector(".has-error");
      });
    }
    topic.addEventListener("change", update);
    update();
  }

  // A "Call now" button takes no link.
  function setUpCallToAction() {
    var action = document.getElementById("id_cta_action_type");
    var url = document.getElementById("field-cta_url");
    if (!action || !url) return;
    function update() { url.hidden = action.value === "" || action.value === "CALL"; }
    action.addEventListener("change", update);
    update();
  }

  // A repeating post's rule: each choice's fields show only while it is chosen (weekly: its days;
  // monthly: a day or a weekday of the month; ends on a date or after a number of posts). Without
  // JavaScript every field shows, each labelled for what it is.
  function setUpShownWhen() {
    var parts = document.querySelectorAll("[data-shown-when]");
    if (!parts.length) return;
    function chosen(name) {
      var checked = document.querySelector("input[name='" + name + "']:checked");
      if (checked) return checked.value;
      var select = document.querySelector("select[name='" + name + "']");
      return select ? select.value : "";
    }
    function update() {
      parts.forEach(function (part) {
        // A field's error is about the choice it belongs to, so it shows while that is chosen.
        var rule = part.getAttribute("data-shown-when").split("=");
        part.hidden = rule[0] !== "" && chosen(rule[0]) !== rule[1];
      });
    }
    document.addEventListener("change", update);
    update();
  }

  // AI help in the editor: the buttons ask for a suggestion (htmx swaps it into #ai-suggestion);
  // "Use this text" puts it into the post text (the count and the preview follow), "Discard"
  // drops it. Nothing is saved until the form is.
  function setUpAiAssist() {
    var panel = document.getElementById("ai-assist");
    var summary = document.getElementById("summary");
    if (!panel || !summary) return;
    panel.addEventListener("click", function (event) {
      var button = event.target.closest("[data-ai]");
      if (!button) return;
      if (button.getAttribute("data-ai") === "accept") {
        summary.value = document.getElementById("ai-suggestion-value").value;
        summary.dispatchEvent(new Event("input", { bubbles: true }));
        summary.focus();
      }
      document.getElementById("ai-suggestion").replaceChildren();
    });
  }

  // A refusal of the AI help is about the text as it was ("Write something first"): once the text
  // changes it no longer holds, so it goes.
  function setUpStaleRefusal() {
    var summary = document.getElementById("summary");
    if (!summary) return;
    summary.addEventListener("input", function () {
      var refusal = document.getElementById("ai-error");
      if (refusal) refusal.remove();
    });
  }

  // A date or date-time input shows its value the browser's way ("12/05/2026, 08:30 AM"); beside
  // it the value reads as every time on the page does ("Sat 5 Dec 2026, 08:30", as
  // gbp_scheduler/times.py writes them). The value is a local wall time: no zone to convert.
  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function readsAs(value) {
    var match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}:\d{2}))?/.exec(value || "");
    if (!match) return "";
    var day = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
    var text = DAYS[day.getUTCDay()] + " " + day.getUTCDate() + " " + MONTHS[day.getUTCMonth()] + " " + match[1];
    return match[4] ? text + ", " + match[4] : text;
  }
  function setUpDateReadings() {
    document.querySelectorAll("input[type=date], input[type=datetime-local]").forEach(function (input) {
      if (!input.id) return;
      var reading = document.createElement("span");
      reading.className = "input-reads muted";
      reading.id = input.id + "-reads";
      reading.setAttribute("data-reads", input.id);
      input.insertAdjacentElement("afterend", reading);
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + reading.id).trim());
      function update() { reading.textContent = readsAs(input.value); }
      input.addEventListener("input", update);
      input.addEventListener("change", update);
      update();
    });
  }

  // htmx swaps only 2xx answers by default; a refusal of the AI help (busy, too long, limit
  // reached) or of the preview (too much to send) comes back 4xx/5xx with a message to show in
  // the same place.
  function setUpRefusalSwaps() {
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var target = event.detail.target && event.detail.target.id;
      if ((target === "ai-suggestion" || target === "preview") && event.detail.xhr.status >= 400) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });
  }

  // A form sent back with errors: its summary at the top takes the focus (the `autofocus`
  // attribute does the same without this), so a phone scrolls to it and a screen reader reads it.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary && document.activeElement !== summary) summary.focus();
  }

  // A filter over more franchises than a list should carry comes as a text field for the id
  // (gbp_scheduler/widgets.py: PickerInput). Here it becomes a search box: what is typed asks the
  // server for the first matching names, and picking one writes its id into the field (now
  // hidden). A cleared box means the blank choice ("All franchises").
  function setUpPickers() {
    document.querySelectorAll("input[data-picker-url]").forEach(function (field) {
      var box = document.createElement("input");
      var list = document.createElement("ul");
      var choices = [];
      var active = -1;
      var asked = 0;
      box.type = "search";
      box.id = field.id || field.name + "-search";
      field.id = box.id + "-value"; // the field's <label> now names the box
      box.value = field.getAttribute("data-picker-label") || "";
      box.placeholder = field.getAttribute("data-picker-empty") || "";
      box.autocomplete = "off";
      box.setAttribute("role", "combobox");
      box.setAttribute("aria-autocomplete", "list");
      box.setAttribute("aria-expanded", "false");
      list.id = box.id + "-choices";
      list.className = "picker-choices";
      list.setAttribute("role", "listbox");
      list.hidden = true;
      box.setAttribute("aria-controls", list.id);
      field.type = "hidden";
      field.parentNode.insertBefore(box, field);
      field.parentNode.insertBefore(list, field.nextSibling);

      function close() {
        list.hidden = true;
        active = -1;
        box.setAttribute("aria-expanded", "false");
        box.removeAttribute("aria-activedescendant");
      }
      function pick(choice) {
        field.value = choice.id;
        box.value = choice.label;
        close();
      }
      function highlight(index) {
        active = index;
        Array.prototype.forEach.call(list.children, function (item, n) {
          item.setAttribute("aria-selected", String(n === index));
        });
        if (index >= 0) box.setAttribute("aria-activedescendant", list.id + "-" + index);
      }
      function show(found) {
        choices = found;
        list.textContent = "";
        found.forEach(function (choice, n) {
          var item = document.createElement("li");
          item.id = list.id + "-" + n;
          item.setAttribute("role", "option");
          item.textContent = choice.label;
          // mousedown, not click: the box's blur would close the list before a click lands.
          item.addEventListener("mousedown", function (event) { event.preventDefault(); pick(choice); });
          list.appendChild(item);
        });
        list.hidden = !found.length;
        box.setAttribute("aria-expanded", String(!list.hidden));
        highlight(found.length ? 0 : -1);
      }
      function ask() {
        var mine = ++asked;
        var url = field.getAttribute("data-picker-url") + "?q=" + encodeURIComponent(box.value.trim());
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : { choices: [] }; })
          .then(function (data) { if (mine === asked) show(data.choices); })
          .catch(function () {});
      }
      box.addEventListener("input", function () {
        field.value = ""; // typing undoes the pick: a blank box is every franchise
        if (box.value.trim()) ask(); else close();
      });
      box.addEventListener("focus", function () { if (!field.value) ask(); });
      box.addEventListener("blur", close);
      box.addEventListener("keydown", function (event) {
        if (list.hidden) return;
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          var step = event.key === "ArrowDown" ? 1 : -1;
          highlight((active + step + choices.length) % choices.length);
        } else if (event.key === "Enter" && active >= 0) {
          event.preventDefault();
          pick(choices[active]);
        } else if (event.key === "Escape") {
          close();
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    setUpCharCount();
    setUpTopicFields();
    setUpCallToAction();
    setUpShownWhen();
    setUpAiAssist();
    setUpRefusalSwaps();
    setUpStaleRefusal();
    setUpDateReadings();
    setUpPickers();
  });
})();
