// Keyboard-first paper entry: letters upper-cased as typed, a live count per row, a
// jump to the next row when a row is full, and errors shown beside the row before the
// server checks again. Enter submits the form (the browser's own implicit submission).
(function () {
  "use strict";
  var BLANKS = "-._*?";

  function check(input) {
    var len = parseInt(input.dataset.len, 10);
    var allowed = (input.dataset.allowed || "").split("|");
    var value = input.value.replace(/\s+/g, "").toUpperCase();
    var row = input.closest("tr");
    var counter = row ? row.querySelector(".row-count") : null;
    if (counter) { counter.textContent = String(value.length); }
    var message = "";
    for (var i = 0; i < value.length && i < allowed.length; i++) {
      var ch = value.charAt(i);
      if (BLANKS.indexOf(ch) < 0 && allowed[i].indexOf(ch) < 0) {
        message = (document.documentElement.lang === "en" ? "Item " + (i + 1) + ": " + ch + " is not a box of this item"
                                                           : "第" + (i + 1) + "题：" + ch + " 不是本题的选项");
        break;
      }
    }
    if (!message && value.length > len) {
      message = (document.documentElement.lang === "en" ? "Too many letters: " + value.length + "/" + len
                                                         : "字母过多：" + value.length + "/" + len);
    }
    var error = document.getElementById("e-" + input.name);
    if (error && (message || error.dataset.client === "1")) {
      error.textContent = message;
      error.dataset.client = "1";
    }
    if (row) { row.classList.toggle("has-error", Boolean(message)); }
    return value.length === len && !message;
  }

  function nextInput(input) {
    var inputs = Array.prototype.slice.call(input.form.querySelectorAll("input.letters"));
    var at = inputs.indexOf(input);
    return at >= 0 && at + 1 < inputs.length ? inputs[at + 1] : null;
  }

  document.querySelectorAll("input.letters").forEach(function (input) {
    input.addEventListener("input", function () {
      var start = input.selectionStart;
      var upper = input.value.toUpperCase();
      if (upper !== input.value) {
        input.value = upper;
        input.setSelectionRange(start, start);
      }
      if (!input.dataset.len) { return; }
      var complete = check(input);
      var atEnd = input.selectionStart === input.value.length;
      if (complete && atEnd) {
        var next = nextInput(input);
        if (next) { next.focus(); next.select(); }
      }
    });
    if (input.dataset.len && input.value) { check(input); }
  });

  // Scanners end with Enter: the sheet-number form then simply submits.
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
