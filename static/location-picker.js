// The /gov coordinate picker (issue 21; only when PORTAL_MAP_TILES is set): a click on the map
// puts the point into the latitude and longitude fields and marks them as being in the tiles'
// datum (the hidden `datum` field); the server converts GCJ-02 to the stored WGS-84
// (portal/institutions/services/location.py). Typing in the fields makes them WGS-84 again.
(function () {
  "use strict";
  function setup() {
    var box = document.getElementById("location-picker");
    if (!box || !window.L) { return; }
    var lat = document.getElementById("f-location-lat");
    var lng = document.getElementById("f-location-lng");
    var datum = document.getElementById("f-location-datum");
    var map = L.map(box);
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
    var marker = null;
    function mark(at) {
      if (marker) { marker.setLatLng(at); }
      else { marker = L.circleMarker(at, { radius: 9, color: "#8a1c0b", weight: 3 }).addTo(map); }
    }
    if (box.dataset.lat) {
      var at = [parseFloat(box.dataset.lat), parseFloat(box.dataset.lng)];
      map.setView(at, 16);
      mark(at);
    } else {
      map.setView([35, 105], 4);
    }
    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lng.value = event.latlng.lng.toFixed(6);
      datum.value = box.dataset.datum;
      mark(event.latlng);
    });
    [lat, lng].forEach(function (field) {
      field.addEventListener("input", function () { datum.value = "wgs84"; });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
