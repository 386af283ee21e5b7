// Questionnaire designer: show only the fields a question type takes, confirm deletions,
// and keep the scroll position when a small form reloads the overview.
(function () {
  "use strict";
  document.querySelectorAll("[data-item-fields]").forEach(function (box) {
    var select = box.querySelector("select[data-item-type]");
    if (!select) return;
    function update() {
      box.querySelectorAll(".for-type").forEach(function (part) {
        part.hidden = part.dataset.types.split(" ").indexOf(select.value) < 0;
      });
    }
    select.addEventListener("change", update);
    update();
  });
  var start = document.querySelector("#start form");
  if (start) {
    var kindField = document.getElementById("field-kind"), copyField = document.getElementById("field-copy_of");
    var showSource = function () {
      var chosen = start.querySelector("input[name=source]:checked");
      var source = chosen ? chosen.value : "template";
      if (kindField) kindField.hidden = source !== "template";
      if (copyField) copyField.hidden = source !== "copy";
    };
    start.addEventListener("change", showSource);
    showSource();
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
  var key = "designer-scroll:" + location.pathname;
  document.querySelectorAll("form.structure").forEach(function (form) {
    form.addEventListener("submit", function () {
      try { sessionStorage.setItem(key, String(window.scrollY)); } catch (e) { /* private mode */ }
    });
  });
  try {
    var y = sessionStorage.getItem(key);
    if (y !== null && !location.hash) { window.scrollTo(0, parseInt(y, 10)); }
    sessionStorage.removeItem(key);
  } catch (e) { /* private mode */ }
})();
