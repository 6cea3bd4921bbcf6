// The directory's map view (issue 21; only when PORTAL_MAP_TILES is set): the results of this
// page that have coordinates, as circles on the configured tiles (Leaflet, static/vendor/leaflet).
// The list below the map carries the same facts; each circle links to the institution. Points
// come already in the tiles' datum (data-lat/data-lng of each result, portal/institutions/rules/geo.py).
(function () {
  "use strict";
  var map = null;

  function draw() {
    var box = document.getElementById("directory-map");
    if (!box || !window.L) { return; }
    if (map) { map.remove(); map = null; }
    map = L.map(box, { scrollWheelZoom: false });
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 18 }).addTo(map);
    var bounds = [];
    document.querySelectorAll("#results li.result[data-lat]").forEach(function (item) {
      var at = [parseFloat(item.dataset.lat), parseFloat(item.dataset.lng)];
      var link = document.createElement("a");
      link.href = item.dataset.href;
      link.textContent = item.dataset.name;
      L.circleMarker(at, { radius: 9, color: "#0b4f8a", weight: 2, fillOpacity: 0.6 })
        .bindPopup(link).bindTooltip(item.dataset.name).addTo(map);
      bounds.push(at);
    });
    if (box.dataset.originLat) {
      var origin = [parseFloat(box.dataset.originLat), parseFloat(box.dataset.originLng)];
      L.circleMarker(origin, { radius: 6, color: "#8a1c0b", weight: 3, fillOpacity: 1 })
        .bindTooltip("距离起点").addTo(map);
      bounds.push(origin);
    }
    if (bounds.length) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 }); }
    else { map.setView([35, 105], 4); }
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "results") { draw(); }
  });
})();
