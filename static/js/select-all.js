// Lists with boxes to tick (the drafts queue, the posts list): a "Select all" box ticks every
// one shown. Without JavaScript that box stays hidden and each row is ticked by hand.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var all = document.querySelector("[data-select-all]");
    if (!all) return;
    var picks = document.querySelectorAll("[data-pick='" + all.getAttribute("data-select-all") + "']");
    all.hidden = false;
    document.querySelector("label[for='" + all.id + "']").hidden = false;
    all.addEventListener("change", function () {
      picks.forEach(function (box) { box.checked = all.checked; });
    });
    picks.forEach(function (box) {
      box.addEventListener("change", function () {
        var ticked = Array.prototype.filter.call(picks, function (b) { return b.checked; }).length;
        all.checked = ticked === picks.length;
        all.indeterminate = ticked > 0 && ticked < picks.length;
      });
    });
  });
})();
