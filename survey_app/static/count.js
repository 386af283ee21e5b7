// The count page: once the officers' passphrases are submitted, show how far the count is
// while the request runs (the counting_runs row, read as JSON every second).
(function () {
  "use strict";
  var box = document.getElementById("count-progress");
  var form = document.getElementById("count-form");
  if (!box || !form || !window.fetch) return;
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-field=text]");
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.running) return;
        var total = Math.max(data.total, 1);
        bar.max = total;
        bar.value = Math.min(data.done, total);
        var label = data.phase === "storing" ? box.dataset.storing : box.dataset.opening;
        text.textContent = data.phase === "storing" && !data.done ? label
          : label + ": " + data.done + " / " + data.total;
      }).catch(function () {});
  }
  form.addEventListener("submit", function () {
    box.hidden = false;
    bar.removeAttribute("value");  // indeterminate while the passphrases are checked
    text.textContent = box.dataset.waiting;
    setInterval(poll, 1000);
  });
})();
