// Staff pages: refresh the turnout figures of an open campaign every 30 seconds.
(function () {
  "use strict";
  var box = document.getElementById("turnout");
  if (!box || !window.fetch) return;
  setInterval(function () {
    fetch(box.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        data.groups.forEach(function (g) {
          var row = box.querySelector('tr[data-group="' + g.code + '"] [data-field=received]');
          if (row) row.textContent = g.received;
        });
      }).catch(function () {});
  }, 30000);
})();
