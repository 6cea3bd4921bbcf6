"""The map's tile source (issue 21): none by default, so nothing is loaded from another site;
when set, checked at start-up, and the map pages' CSP lets images come from its host only."""

from __future__ import annotations

import hashlib

import pytest

from portal.core.security import CSP, SECURITY_HEADERS, csp_with_images_from
from portal.core.settings import PROJECT_ROOT, load_settings

OSM = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"


def test_no_tile_source_by_default(monkeypatch):
    for name in ("PORTAL_MAP_TILES", "PORTAL_MAP_ATTRIBUTION", "PORTAL_MAP_DATUM"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.map_tiles, settings.map_origin, settings.map_datum) == ("", "", "wgs84")


@pytest.mark.parametrize(("tiles", "origin"), [
    (OSM, "https://*.tile.openstreetmap.org"),
    ("https://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org"),
    ("http://127.0.0.1:9000/t/{z}/{x}/{y}.png", "http://127.0.0.1:9000"),
])
def test_a_tile_source_and_where_its_images_come_from(monkeypatch, tiles, origin):
    monkeypatch.setenv("PORTAL_MAP_TILES", tiles)
    monkeypatch.setenv("PORTAL_MAP_ATTRIBUTION", "© OpenStreetMap contributors")
    monkeypatch.setenv("PORTAL_MAP_DATUM", "GCJ02")
    settings = load_settings()
    assert (settings.map_tiles, settings.map_origin, settings.map_datum) == (tiles, origin,
                                                                             "gcj02")
    csp = csp_with_images_from(origin)
    assert f"img-src 'self' data: {origin};" in csp
    assert csp.replace(f" {origin}", "") == CSP  # nothing else loosened


@pytest.mark.parametrize(("env", "name"), [
    ({"PORTAL_MAP_TILES": "https://tiles.example.org/{z}/{x}.png"}, "PORTAL_MAP_TILES"),
    ({"PORTAL_MAP_TILES": "ftp://tiles.example.org/{z}/{x}/{y}.png"}, "PORTAL_MAP_TILES"),
    ({"PORTAL_MAP_TILES": OSM, "PORTAL_MAP_ATTRIBUTION": ""}, "PORTAL_MAP_ATTRIBUTION"),
    ({"PORTAL_MAP_DATUM": "bd09"}, "PORTAL_MAP_DATUM"),
])
def test_a_bad_map_setting_stops_start_up_with_its_name(monkeypatch, env, name):
    monkeypatch.delenv("PORTAL_MAP_ATTRIBUTION", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValueError, match=name):
        load_settings()


def test_geolocation_is_allowed_to_the_portal_itself_only():
    assert "geolocation=(self)" in SECURITY_HEADERS["permissions-policy"]
    assert "camera=()" in SECURITY_HEADERS["permissions-policy"]


def test_vendored_static_files_match_their_pinned_checksums():
    vendor = PROJECT_ROOT / "static" / "vendor"
    listed = {}
    for line in (vendor / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    for name, digest in listed.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
    shipped = {str(p.relative_to(vendor)) for p in vendor.rglob("*")
               if p.is_file() and p.suffix in (".js", ".css", ".png")}
    assert shipped == set(listed)
    assert 't.version="1.9.4"' in (vendor / "leaflet" / "leaflet.js").read_text()
