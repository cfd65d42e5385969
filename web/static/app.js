// Enhancements only: every page works without this file.
(function () {
  "use strict";

  // Error summary: take focus so screen readers announce it, and make each link move focus to
  // its field (a fragment link alone only scrolls), with the field's label in view.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      var holder = field.closest("fieldset") || field.closest(".field") || field;
      holder.scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  // Copy the referral summary: the button is hidden until this script can make it work.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { if (status) status.textContent = "Copied. Paste it into your referral or notes."; };
      var fallback = function () {
        source.focus();
        source.select();
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        if (ok) { done(); } else if (status) { status.textContent = "Select the text above and copy it."; }
      };
      // The Clipboard API needs a secure context; an intranet over plain http falls back.
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  });

  // The form: show the question the stage needs (weeks pregnant, or the child's age). Hidden
  // ones are disabled too, so an answer left in one is not sent.
  var form = document.querySelector("[data-navigator-form]");
  if (form) {
    var showStage = function () {
      var checked = form.querySelector("input[name='stage']:checked");
      form.querySelectorAll("[data-when-stage]").forEach(function (box) {
        var show = !checked || box.getAttribute("data-when-stage") === checked.value;
        // With no answer yet, neither question is needed; a question with an error stays.
        if (!checked) show = false;
        if (box.querySelector(".error-message")) show = true;
        box.hidden = !show;
        box.querySelectorAll("input").forEach(function (i) { i.disabled = !show; });
      });
    };
    form.querySelectorAll("input[name='stage']").forEach(function (r) {
      r.addEventListener("change", showStage);
    });
    showStage();

    // A shared link carries its answers after "#": never sent to the server, never logged.
    // Opening it fills the form and asks the question again.
    var shared = window.location.hash.slice(1);
    if (shared) {
      var answers = new URLSearchParams(shared);
      if (answers.get("postcode") && answers.get("stage") && answers.getAll("needs").length) {
        answers.forEach(function (value, name) {
          form.querySelectorAll("[name='" + CSS.escape(name) + "']").forEach(function (field) {
            if (field.type === "radio" || field.type === "checkbox") {
              if (field.value === value) field.checked = true;
            } else {
              field.value = value;
            }
          });
        });
        showStage();
        // Out of the address bar and the history before anything else happens.
        history.replaceState(null, "", window.location.pathname);
        var status = document.querySelector("[data-shared-status]");
        if (status) {
          status.hidden = false;
          status.textContent = "Asking again with the answers from the link you opened.";
        }
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    }
  }

  // Results: print, and copy a link whose answers live only in its fragment.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  var answersForm = document.querySelector("[data-answers]");
  document.querySelectorAll("[data-share]").forEach(function (button) {
    if (!answersForm) return;
    button.hidden = false;
    var hint = document.querySelector("[data-share-hint]");
    if (hint) hint.hidden = false;
    var status = document.querySelector("[data-share-status]");
    button.addEventListener("click", function () {
      var answers = new URLSearchParams();
      answersForm.querySelectorAll("input[type='hidden']").forEach(function (i) {
        answers.append(i.name, i.value);
      });
      var link = window.location.origin + "/#" + answers.toString();
      var done = function () {
        if (status) status.textContent = "Link copied. Anyone who opens it sees these answers asked again; it holds the postcode, so share it only as you would the family's details.";
      };
      var fallback = function () {
        if (status) status.textContent = "Copy this link: " + link;
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(link).then(done, fallback);
      } else {
        fallback();
      }
    });
  });

  // Print every collapsed section too: "why not" matters on paper as much as on screen.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
