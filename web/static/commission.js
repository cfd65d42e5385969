// Commissioners' pages: enhancements only, every page works without this file.
(function () {
  "use strict";
  // What-if: "All of <locality>" ticks or clears that locality's wards; clearing one of its
  // wards clears "All of". Without JavaScript the server expands a ticked locality itself.
  document.querySelectorAll("[data-locality]").forEach(function (group) {
    var all = group.querySelector("[data-locality-all]");
    if (!all) return;
    var wards = group.querySelectorAll("input[name='wards']");
    all.addEventListener("change", function () {
      wards.forEach(function (box) { box.checked = all.checked; });
    });
    wards.forEach(function (box) {
      box.addEventListener("change", function () {
        if (!box.checked) all.checked = false;
      });
    });
  });
})();

(function () {
  "use strict";
  // A link to a row inside closed <details> (an overlap cell to its pair) opens them first.
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) return;
    for (var node = target.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);
  reveal();
})();
