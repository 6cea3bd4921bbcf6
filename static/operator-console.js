// The operator console's keyboard path (templates/complaints/operator/console.html; issue 21,
// item 5). Everything here is an enhancement: without it the form files, warns and folds the
// same way, only Enter on the category list does nothing and the warning is not announced.
(function () {
  "use strict";
  var form = document.getElementById("console-form");
  if (!form) { return; }
  // The form's first submit button: what Enter in a text field presses (action=file).
  var fileButton = form.querySelector("button[type=submit][name=action][value=file]");
  var returnFocus = document.getElementById("return-focus");

  // Enter on 问题类别 files the call, as Enter in any text field does: the fields after it
  // (紧急, 来源) keep their defaults on a routine call. While the list is open the browser
  // keeps the key to itself, so Enter there still just picks the highlighted category.
  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || event.isComposing || event.altKey || event.ctrlKey ||
        event.metaKey || event.shiftKey || target.id !== "f-category") { return; }
    event.preventDefault();
    if (form.requestSubmit) { form.requestSubmit(fileButton); } else { fileButton.click(); }
  });

  // Remember the field the operator was in, so a duplicate warning hands the focus back to it.
  form.addEventListener("submit", function (event) {
    var active = document.activeElement;
    var submitter = event.submitter;
    if (submitter && submitter.name !== "action") { returnFocus.value = ""; return; }
    returnFocus.value = active && form.contains(active) && active.id ? active.id : "";
  });

  // The original receipt time unfolds when “12345 转办” is chosen and folds again for a phone
  // call when nothing was typed in it.
  var box = document.getElementById("received-box");
  var received = document.getElementById("f-received_at");
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (!box || target.name !== "channel") { return; }
    if (target.value === "handover") { box.open = true; }
    else if (!received.value) { box.open = false; }
  });

  // A duplicate warning is announced, never focused.
  var title = document.getElementById("dup-title");
  var announce = document.getElementById("dup-announce");
  if (title && announce) {
    window.setTimeout(function () {
      announce.textContent = title.textContent + "。焦点仍在原处；按回车只会再次提示。";
    }, 100);
  }
})();
