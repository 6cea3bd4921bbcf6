// The compare tray's page side (templates/institutions/_compare_tray.html; issue 21, item 7).
// htmx swaps the tray after each change; this keeps the page in step with it: the directory's
// check boxes, the institution page's 加入对比 button, the no-JS form's kept ids; it announces
// the change and, when the button pressed was inside the old tray, puts the focus on the new.
(function () {
  "use strict";
  var fromTray = false;

  function ids() {
    var tray = document.getElementById("compare-tray");
    return tray ? (tray.getAttribute("data-ids") || "").split(" ").filter(Boolean) : [];
  }

  function sync() {
    var chosen = ids();
    var tray = document.getElementById("compare-tray");
    document.querySelectorAll("input[data-compare-pick]").forEach(function (box) {
      box.checked = chosen.indexOf(box.value) >= 0;
    });
    document.querySelectorAll("input[data-compare-kept]").forEach(function (kept) {
      if (chosen.indexOf(kept.value) < 0) { kept.remove(); }
    });
    document.querySelectorAll("button[data-compare-toggle]").forEach(function (button) {
      var on = chosen.indexOf(button.value) >= 0;
      button.name = on ? "remove" : "add";
      button.textContent = on ? "移出对比" : "加入对比";
    });
    return tray;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var tray = document.getElementById("compare-tray");
    fromTray = !!(tray && tray.contains(event.detail.elt));
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var tray = sync();
    if (!tray || event.target !== tray) { return; }
    var status = document.getElementById("compare-status");
    if (status) { status.textContent = tray.getAttribute("data-said") || ""; }
    if (fromTray) {
      var heading = document.getElementById("compare-tray-title");
      if (!tray.hidden && heading) { heading.focus(); } else { document.getElementById("main").focus(); }
      fromTray = false;
    }
  });
})();
