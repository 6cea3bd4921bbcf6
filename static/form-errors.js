// The error summary of a form shown again (templates/_form_errors.html): focused once the
// page has loaded, where the browser did not honour its `autofocus`, so that a phone scrolls
// to it and a screen reader reads it; its links move the focus into the field they name.
(function () {
  "use strict";
  function focusSummary() {
    var summary = document.getElementById("form-errors");
    if (!summary) { return; }
    if (document.activeElement !== summary) { summary.focus(); }
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      var target = field.matches("input, select, textarea") ? field
        : field.querySelector("input, select, textarea");
      if (target) {
        event.preventDefault();
        field.scrollIntoView({ block: "center" });
        target.focus({ preventScroll: true });
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
