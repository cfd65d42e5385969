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

  // Print every collapsed section too: "why not" matters on paper as much as on screen.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
