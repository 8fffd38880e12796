/* evalkit: click a column header of a table.sortable to sort its rows (numbers numerically, empty cells last);
   rows marked data-attached stay under the row they follow. */
(function () {
  "use strict";
  function cellKey(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    var number = parseFloat(raw);
    return raw !== "" && isFinite(number) && /^[-+]?[\d.]/.test(raw) ? number : raw.toLowerCase();
  }
  function compare(a, b) {
    if (a === b) return 0;
    if (typeof a === typeof b) return a < b ? -1 : 1;
    return typeof a === "number" ? -1 : 1;
  }
  function sortBy(table, header) {
    var index = header.cellIndex;
    var descending = header.getAttribute("aria-sort") === "ascending";
    var body = table.tBodies[0];
    var groups = [];  // a row marked data-attached (a metric's floor rows) moves with the row above it
    Array.prototype.forEach.call(body.rows, function (row) {
      if (row.hasAttribute("data-attached") && groups.length) groups[groups.length - 1].push(row);
      else groups.push([row]);
    });
    groups.sort(function (a, b) {
      var keyA = cellKey(a[0], index), keyB = cellKey(b[0], index);
      if (keyA === "" || keyB === "") return (keyA === "") - (keyB === "");
      return descending ? -compare(keyA, keyB) : compare(keyA, keyB);
    });
    groups.forEach(function (group) { group.forEach(function (row) { body.appendChild(row); }); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
      if (!table.tHead || !table.tBodies.length) return;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
        var button = header.querySelector("button");
        if (button) button.addEventListener("click", function () { sortBy(table, header); });
      });
    });
  });
})();
