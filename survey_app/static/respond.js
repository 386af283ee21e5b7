// Respondent pages: the code from the QR #fragment, answers kept in this browser only,
// and one target at a time with a progress bar. Works without JavaScript too.
(function () {
  "use strict";

  // A QR slip opens /answer#CODE: the code stays in the browser (fragments are never sent).
  var codeInput = document.querySelector("#code-form input[name=code]");
  if (codeInput && window.location.hash.length > 1) {
    codeInput.value = decodeURIComponent(window.location.hash.slice(1));
    history.replaceState(null, "", window.location.pathname);
  }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  // Unfinished answers survive a reload, a language switch or a dropped connection.
  var form = document.getElementById("ballot-form");
  if (form && storage()) {
    var key = form.dataset.storageKey;
    var saved = {};
    try { saved = JSON.parse(storage().getItem(key) || "{}"); } catch (e) { saved = {}; }
    var serverHasValues = Array.prototype.some.call(form.elements, function (el) {
      return (el.type === "radio" || el.type === "checkbox") ? el.checked : (el.tagName === "TEXTAREA" && el.value);
    });
    if (!serverHasValues) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || !(el.name in saved)) return;
        var values = saved[el.name];
        if (el.type === "radio" || el.type === "checkbox") el.checked = values.indexOf(el.value) >= 0;
        else if (el.tagName === "TEXTAREA") el.value = values[0] || "";
      });
    }
    var save = function () {
      var data = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.name === "csrf_token" || el.name === "action") return;
        if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
        if (el.tagName === "TEXTAREA" && !el.value) return;
        if (el.type !== "radio" && el.type !== "checkbox" && el.tagName !== "TEXTAREA") return;
        (data[el.name] = data[el.name] || []).push(el.value);
      });
      storage().setItem(key, JSON.stringify(data));
    };
    form.addEventListener("change", save);
    form.addEventListener("input", save);
    save();
  }

  // A language switch on the review page comes back to the review, not to the questions:
  // the review is the answer of a POST, so the questionnaire page asks for it again.
  var review = document.getElementById("review-form");
  if (review && storage()) {
    Array.prototype.forEach.call(document.querySelectorAll("a.lang-switch"), function (link) {
      link.addEventListener("click", function () { storage().setItem(review.dataset.storageKey + ":review", "1"); });
    });
  }
  if (form && storage() && storage().getItem(form.dataset.storageKey + ":review")) {
    storage().removeItem(form.dataset.storageKey + ":review");
    var reviewButton = form.querySelector("button[value=review]");
    if (reviewButton && form.requestSubmit) { form.requestSubmit(reviewButton); return; }
  }

  // After a successful submit, forget the answers kept in this browser.
  if (document.querySelector("[data-clear-storage]") && storage()) {
    for (var i = storage().length - 1; i >= 0; i--) {
      var k = storage().key(i);
      if (k && k.indexOf("ballot-") === 0) storage().removeItem(k);
    }
  }

  // One target at a time, unless the form came back with errors (then show everything).
  if (form && !document.querySelector(".question.has-error")) {
    var steps = form.querySelectorAll(".target-card[data-step]");
    if (steps.length > 1) {
      form.classList.add("js-stepper");
      var current = 0;
      var progress = document.createElement("div");
      progress.className = "progress";
      progress.innerHTML = '<div class="small"></div><div class="bar"><span></span></div>';
      form.insertBefore(progress, steps[0]);
      var nav = document.createElement("div");
      nav.className = "stepper-nav";
      var prev = document.createElement("button");
      prev.type = "button"; prev.className = "secondary"; prev.textContent = form.dataset.labelPrev;
      var next = document.createElement("button");
      next.type = "button"; next.textContent = form.dataset.labelNext;
      nav.appendChild(prev); nav.appendChild(next);
      steps[steps.length - 1].after(nav);
      // Some prefer the whole matrix on one page: one tap turns the stepper off.
      var all = document.createElement("button");
      all.type = "button"; all.className = "link show-all"; all.textContent = form.dataset.labelAll;
      progress.appendChild(all);
      all.addEventListener("click", function () {
        form.classList.remove("js-stepper");
        progress.remove(); nav.remove();
        form.querySelector(".actions").hidden = false;
      });
      var submitRow = form.querySelector(".actions");
      var show = function (n, initial) {
        current = Math.max(0, Math.min(steps.length - 1, n));
        Array.prototype.forEach.call(steps, function (s, i) { s.classList.toggle("step-hidden", i !== current); });
        progress.firstChild.textContent = form.dataset.labelProgress
          .replace("{i}", current + 1).replace("{n}", steps.length);
        progress.querySelector(".bar span").style.width = ((current + 1) / steps.length * 100) + "%";
        prev.disabled = current === 0;
        next.hidden = current === steps.length - 1;
        submitRow.hidden = current !== steps.length - 1;
        // Bring the new target's name into view below the sticky progress bar.
        if (!initial) progress.scrollIntoView({ block: "start" });
      };
      prev.addEventListener("click", function () { show(current - 1); });
      next.addEventListener("click", function () { show(current + 1); });
      // The step survives a reload or a language switch, like the answers (this browser only).
      var stepKey = form.dataset.storageKey + ":step";
      var savedStep = storage() ? parseInt(storage().getItem(stepKey) || "0", 10) : 0;
      var shown = show;
      show = function (n, initial) {
        shown(n, initial);
        if (storage()) storage().setItem(stepKey, String(current));
      };
      show(isNaN(savedStep) ? 0 : savedStep, true);
    }
  }
})();
