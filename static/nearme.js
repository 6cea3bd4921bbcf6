// The directory's "按距离排序（使用我的位置）" (issue 21): the browser is asked for its position
// only when the button is pressed; the point, rounded to 0.001° (≈ 110 m), fills the form's
// hidden lat/lng fields and the form is sent sorted by distance. Refused, unavailable or without
// JavaScript the button still sends sort=distance, and the page answers with a message and the
// street select to measure from instead (portal/institutions/views/public.py).
(function () {
  "use strict";
  var REASONS = {
    1: "您没有允许使用位置",
    2: "暂时无法确定您的位置",
    3: "获取位置超时"
  };

  function setup() {
    var button = document.getElementById("near-me-button");
    if (!button) { return; }
    var form = button.form;
    var lat = document.getElementById("f-lat");
    var lng = document.getElementById("f-lng");
    var near = document.getElementById("f-near");
    var sort = document.getElementById("f-sort");
    var status = document.getElementById("near-me-status");

    function send() {
      sort.value = "distance";
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }

    button.addEventListener("click", function (event) {
      if (!navigator.geolocation) { return; }  // the server explains and offers the streets
      event.preventDefault();
      status.textContent = "正在获取您的位置……";
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(3);
        lng.value = position.coords.longitude.toFixed(3);
        near.value = "";
        status.textContent = "已获取您的位置，正在按距离排序。";
        send();
      }, function (error) {
        lat.value = "";
        lng.value = "";
        status.textContent = (REASONS[error.code] || "未能获取您的位置") +
          "。请在下面选择您所在的街道（社区），再点“从所选街道按距离排序”。";
        near.focus();
      }, { enableHighAccuracy: false, timeout: 30000, maximumAge: 600000 });
    });

    // A street chosen as the starting point replaces the browser's position.
    near.addEventListener("change", function () {
      lat.value = "";
      lng.value = "";
      if (near.value) { sort.value = "distance"; }
    });
    document.getElementById("near-street-button").addEventListener("click", function () {
      lat.value = "";
      lng.value = "";
      sort.value = "distance";
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
