// Client-side sorting of result tables: a click on a column heading sorts by that column.
(function () {
  "use strict";
  function value(cell, kind) {
    var raw = cell.getAttribute("data-value");
    if (raw === null) { raw = cell.textContent.trim(); }
    if (kind === "number") {
      var n = parseFloat(raw);
      return isNaN(n) ? -Infinity : n;
    }
    return raw;
  }
  function sortBy(table, th, index) {
    var kind = th.getAttribute("data-sort");
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var collator = new Intl.Collator(document.documentElement.lang || undefined, { numeric: true });
    rows.sort(function (a, b) {
      var x = value(a.cells[index], kind), y = value(b.cells[index], kind);
      var d = kind === "number" ? x - y : collator.compare(x, y);
      return ascending ? d : -d;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = th.querySelector("button.sort");
      if (button && th.hasAttribute("data-sort")) {
        button.addEventListener("click", function () { sortBy(table, th, index); });
      }
    });
  });
})();
// Moderation: one box ticks every comment of the page.
(function () {
  "use strict";
  var all = document.querySelector("[data-select-all]");
  if (!all) return;
  all.addEventListener("change", function () {
    document.querySelectorAll("input[type=checkbox][name=" + all.dataset.selectAll + "]").forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
