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

  // Required items of a part of the form that have no answer yet: the same rule as the server's
  // (which stays the judge; this only saves a round trip and a long scroll).
  function unanswered(scope) {
    return Array.prototype.filter.call(scope.querySelectorAll(".question[data-required]"), function (q) {
      if (q.dataset.required === "write") {
        var text = q.querySelector("textarea");
        return !text || !text.value.trim();
      }
      return !q.querySelector("input:checked");
    });
  }

  function clearError(q) {
    Array.prototype.forEach.call(q.querySelectorAll("small.error"), function (e) { e.remove(); });
    q.classList.remove("has-error");
    var field = q.querySelector(".options, textarea");
    if (field) { field.removeAttribute("aria-invalid"); field.removeAttribute("aria-describedby"); }
  }

  // Each error beside its item, and the focus on the first one (under the sticky progress bar).
  function markMissing(missing) {
    missing.forEach(function (q) {
      clearError(q);
      var error = document.createElement("small");
      error.className = "error";
      error.id = "err-" + q.id.slice(2);
      error.dataset.client = "1";
      error.textContent = q.dataset.required === "write" ? form.dataset.msgWrite : form.dataset.msgChoose;
      q.appendChild(error);
      q.classList.add("has-error");
      var field = q.querySelector(".options, textarea");
      if (field) { field.setAttribute("aria-invalid", "true"); field.setAttribute("aria-describedby", error.id); }
    });
    if (missing.length) focusQuestion(missing[0]);
  }

  function focusQuestion(q) {
    var input = q.querySelector("input:checked") || q.querySelector("input, textarea");
    q.scrollIntoView({ block: "start" });
    if (input) input.focus({ preventScroll: true });
  }

  if (form) {
    // An answer given clears its error at once.
    form.addEventListener("change", function (event) {
      var q = event.target.closest && event.target.closest(".question");
      if (q && unanswered(q.parentNode).indexOf(q) < 0) clearError(q);
    });
    form.addEventListener("input", function (event) {
      var q = event.target.closest && event.target.closest(".question");
      if (q && q.dataset.required === "write" && event.target.value.trim()) clearError(q);
    });
  }

  // One target at a time; a form that came back with errors opens on the first of them.
  var stepper = null;
  if (form) {
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
      next.type = "button"; next.className = "next"; next.textContent = form.dataset.labelNext;
      nav.appendChild(prev); nav.appendChild(next);
      steps[steps.length - 1].after(nav);
      var submitRow = form.querySelector(".actions");
      // Some prefer the whole matrix on one page: one tap turns the stepper off.
      var all = document.createElement("button");
      all.type = "button"; all.className = "link show-all"; all.textContent = form.dataset.labelAll;
      progress.appendChild(all);
      all.addEventListener("click", function () {
        form.classList.remove("js-stepper");
        progress.remove(); nav.remove();
        submitRow.hidden = false;
        stepper = null;
      });
      var stepKey = form.dataset.storageKey + ":step";
      // The new target's name at the top of the screen, just below the sticky progress bar
      // (scrolling to the sticky bar itself does nothing: it is always "in view").
      var toTop = function (card) {
        var top = card.getBoundingClientRect().top + window.pageYOffset - progress.offsetHeight - 8;
        window.scrollTo(0, Math.max(0, top));
      };
      var show = function (n, initial) {
        current = Math.max(0, Math.min(steps.length - 1, n));
        Array.prototype.forEach.call(steps, function (s, i) { s.classList.toggle("step-hidden", i !== current); });
        progress.firstChild.textContent = form.dataset.labelProgress
          .replace("{i}", current + 1).replace("{n}", steps.length);
        progress.querySelector(".bar span").style.width = ((current + 1) / steps.length * 100) + "%";
        prev.disabled = current === 0;
        next.hidden = current === steps.length - 1;
        submitRow.hidden = current !== steps.length - 1;
        // The step survives a reload or a language switch, like the answers (this browser only).
        if (storage()) storage().setItem(stepKey, String(current));
        if (!initial) {
          toTop(steps[current]);
          var heading = steps[current].querySelector("h2");
          if (heading) heading.focus({ preventScroll: true });
        }
      };
      prev.addEventListener("click", function () { show(current - 1); });
      next.addEventListener("click", function () {
        var missing = unanswered(steps[current]);
        if (missing.length) { markMissing(missing); return; }
        show(current + 1);
      });
      stepper = {
        // show the step that holds an element (a question linked from the error list or the review)
        reveal: function (el) {
          for (var i = 0; i < steps.length; i++) {
            if (steps[i].contains(el)) { if (i !== current) show(i, true); return; }
          }
        }
      };
      var savedStep = storage() ? parseInt(storage().getItem(stepKey) || "0", 10) : 0;
      show(isNaN(savedStep) ? 0 : savedStep, true);
    }
  }

  // A question named by the address (#q-…, from the review's list) or by the error list: its step
  // shown, the question below the sticky bar and its first answer focused.
  function goTo(id) {
    var q = id && document.getElementById(id);
    if (!q || !q.classList.contains("question")) return false;
    if (stepper) stepper.reveal(q);
    focusQuestion(q);
    return true;
  }
  if (form) {
    var firstError = form.querySelector(".question.has-error");
    var hash = window.location.hash.length > 1 ? decodeURIComponent(window.location.hash.slice(1)) : "";
    if (firstError) {
      goTo(firstError.id);
    } else if (hash && goTo(hash)) {
      // the browser's own jump to the #fragment comes after this script and takes the focus away
      window.addEventListener("load", function () { setTimeout(function () { goTo(hash); }, 0); });
    }
    Array.prototype.forEach.call(document.querySelectorAll("#error-summary a[href^='#q-']"), function (link) {
      link.addEventListener("click", function (event) {
        if (goTo(decodeURIComponent(link.getAttribute("href").slice(1)))) {
          event.preventDefault();
          history.replaceState(null, "", link.getAttribute("href"));
        }
      });
    });
    // Before the review, every required item once more (the stepper checks each step on Next;
    // the one-page view and the last step are checked here).
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (button && button.value !== "review") return;
      var missing = unanswered(form);
      if (missing.length) {
        event.preventDefault();
        if (stepper) stepper.reveal(missing[0]);
        markMissing(stepper ? unanswered(form.querySelector(".target-card:not(.step-hidden)")) : missing);
      }
    });
  }
})();
