"""Near me in chromium on a phone (390 × 844, issue 21): the position is asked only when the
button is pressed and sorts the directory by distance; refused, or without JavaScript, the
street select sorts from a street's centroid instead. Layout measured, axe clean, no CSP or
script error. With a tile source configured, the map view plots the page's results."""

from __future__ import annotations

import re
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from test_accessibility import serious_violations

from servers import portal_env, start_portal
from support import ARTIFACTS, open_filters

pytestmark = pytest.mark.browser

PHONE_VIEW = {"width": 390, "height": 844}
HERE = {"latitude": 30.593, "longitude": 114.305}  # the demo city's centre (demo/geo.py)
DISTANCES = "#results .result .distance"


def kilometres(texts: list[str]) -> list[float]:
    found = []
    for text in texts:
        match = re.search(r"约 ([0-9.]+) 公里|不足 0.1 公里", text)
        found.append(float(match.group(1)) if match and match.group(1) else 0.0)
    return found


@pytest.fixture
def phone_context(browser):
    """A phone; what the console reports as an error is collected for the test to check."""
    made = []

    def make(**options):
        context = browser.new_context(locale="zh-CN", viewport=PHONE_VIEW, **options)
        tab = context.new_page()
        tab.errors = []  # type: ignore[attr-defined]
        tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
        made.append(context)
        return tab

    yield make
    for context in made:
        context.close()


def measure(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return {x: r.x, width: r.width, "
        "height: r.height, right: r.right}; }")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_button_asks_for_the_position_and_sorts_by_distance(phone_context, live_server):
    page = phone_context(geolocation=HERE, permissions=["geolocation"])
    page.goto(live_server + "/institutions/")
    assert page.evaluate("navigator.permissions.query({name: 'geolocation'})"
                         ".then(p => p.state)") == "granted"
    open_filters(page)
    button = page.get_by_role("button", name="按距离排序（使用我的位置）")
    box = measure(page, "#near-me-button")
    print(f"near-me button at {page.locator('#near-me-button').evaluate('e => e.getBoundingClientRect().top + scrollY'):.0f} px down the phone page")
    assert box["height"] >= 44 and box["x"] >= 0 and box["right"] <= PHONE_VIEW["width"]
    assert no_sideways_scroll(page)
    assert page.url.endswith("/institutions/")  # nothing asked before the press
    button.click()
    page.wait_for_url(re.compile(r"sort=distance.*lat=30\.593|lat=30\.593.*sort=distance"))
    page.wait_for_load_state("networkidle")
    assert "lng=114.305" in page.url
    shown = page.locator(DISTANCES).all_inner_texts()
    assert len(shown) == 20 and all("距您的位置直线距离" in t for t in shown)
    km = kilometres(shown)
    assert km == sorted(km) and km[-1] < 60  # the demo city, nearest first
    count = page.locator("#results .result-count").inner_text()
    assert "按距您的位置由近到远排列" in count
    first = measure(page, DISTANCES)
    assert first["right"] <= PHONE_VIEW["width"] and no_sideways_scroll(page)
    assert serious_violations(page) == []
    page.locator("#results").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "near-me-phone.png"), full_page=False)
    # The last page: the three homes without coordinates come last.
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url("**page=2**")
    page.wait_for_load_state("networkidle")
    tail = page.locator(DISTANCES).all_inner_texts()
    assert tail[-3:] == ["暂无位置信息"] * 3
    assert kilometres(tail[:-3]) == sorted(kilometres(tail[:-3]))
    assert kilometres(tail[:-3])[0] >= km[-1]
    assert page.errors == []


def test_refused_the_street_select_sorts_by_distance_instead(phone_context, live_server):
    page = phone_context(permissions=[])  # the position is not granted
    page.goto(live_server + "/institutions/")
    open_filters(page)
    page.get_by_role("button", name="按距离排序（使用我的位置）").click()
    status = page.locator("#near-me-status")
    status.wait_for(state="visible")
    page.wait_for_function("document.getElementById('near-me-status').textContent.includes('街道')")
    assert "请在下面选择您所在的街道（社区）" in status.inner_text()
    assert page.evaluate("document.activeElement.id") == "f-near"
    assert "sort=distance" not in page.url
    select = page.locator("#f-near")
    street = select.locator("option").nth(1).inner_text()
    box = measure(page, "#f-near")
    assert box["height"] >= 44 and box["right"] <= PHONE_VIEW["width"]
    select.select_option(index=1)  # htmx sends the form on change, sorted from the street
    page.wait_for_url("**sort=distance**")
    page.wait_for_load_state("networkidle")
    page.locator(DISTANCES).first.wait_for()
    shown = page.locator(DISTANCES).all_inner_texts()
    assert shown and all(f"距{street}直线距离" in t for t in shown)
    assert kilometres(shown) == sorted(kilometres(shown))
    assert serious_violations(page) == []
    assert page.errors == []


def test_without_javascript_the_page_explains_and_the_street_sorts(phone_context, live_server):
    page = phone_context(java_script_enabled=False)
    page.goto(live_server + "/institutions/")
    open_filters(page)
    page.get_by_role("button", name="按距离排序（使用我的位置）").click()
    page.wait_for_url("**near_me=1**")
    notice = page.locator(".near-notice")
    assert "请在“距离起点”中选择您所在的街道（社区）" in notice.inner_text()
    assert page.locator(DISTANCES).count() == 0  # name order meanwhile
    page.locator("#f-near").select_option(index=2)
    page.get_by_role("button", name="从所选街道按距离排序").click()
    page.wait_for_url("**near=**")
    shown = page.locator(DISTANCES).all_inner_texts()
    assert len(shown) == 20 and kilometres(shown) == sorted(kilometres(shown))
    assert page.locator(".near-notice").count() == 0
    assert page.locator("#f-sort").input_value() == "distance"  # and it stays on the next filter
    assert no_sideways_scroll(page)


def _png(width: int = 256, height: int = 256, grey: int = 0xE8) -> bytes:
    """A plain grey tile, what the routed tile server answers."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\x00" + bytes([grey]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


TILE = _png()


@pytest.fixture(scope="module")
def map_server(live_db_url, redis_server, tmp_path_factory):
    """A second server with PORTAL_MAP_TILES (GCJ-02 tiles) on a copy of the live database;
    the tiles are answered by Playwright's router, so nothing leaves the machine."""
    var = tmp_path_factory.mktemp("map")
    db_path = var / "portal.sqlite3"
    shutil.copy(Path(live_db_url.removeprefix("sqlite:///")), db_path)
    env = portal_env(f"sqlite:///{db_path}", redis_server.url, "map-" + "z" * 40, var)
    env.update(PORTAL_MAP_TILES="https://tiles.example.org/{z}/{x}/{y}.png",
               PORTAL_MAP_ATTRIBUTION="© 示例地图", PORTAL_MAP_DATUM="gcj02")
    proc, base = start_portal(env)
    try:
        yield base, f"sqlite:///{db_path}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def routed_tiles(page) -> list[str]:
    tiles: list[str] = []
    page.route("https://tiles.example.org/**", lambda route: (
        tiles.append(route.request.url),
        route.fulfill(status=200, content_type="image/png", body=TILE)))
    return tiles


def test_the_map_view_plots_the_results_on_the_configured_tiles(phone_context, map_server):
    base, _db = map_server
    page = phone_context(geolocation=HERE, permissions=["geolocation"])
    tiles = routed_tiles(page)
    page.goto(base + "/institutions/?sort=distance&lat=30.593&lng=114.305")
    page.get_by_role("link", name="在地图上查看本页机构").click()
    page.wait_for_url("**view=map**")
    page.locator("#directory-map .leaflet-interactive").first.wait_for()
    assert page.locator("#directory-map .leaflet-interactive").count() == 21  # 20 + origin
    assert tiles and page.locator(".leaflet-control-attribution").inner_text().endswith(
        "© 示例地图")
    box = measure(page, "#directory-map")
    assert box["width"] <= PHONE_VIEW["width"] and box["height"] >= 300
    assert no_sideways_scroll(page)
    assert page.locator("#results .result h2 a").count() == 20  # the list stays below
    assert serious_violations(page) == []
    page.locator("#directory-map").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "near-me-map-phone.png"))
    assert page.errors == []


def test_civil_affairs_picks_a_location_on_the_map(phone_context, map_server):
    from sqlalchemy import create_engine, text

    from portal.institutions.rules.geo import Point, haversine_km

    from support import browser_login

    base, db_url = map_server
    page = phone_context()
    routed_tiles(page)
    browser_login(page, base, "supervisor")
    page.goto(base + "/gov/institutions/1")
    picker = page.locator("#location-picker")
    picker.scroll_into_view_if_needed()
    page.locator("#location-picker .leaflet-tile-container").first.wait_for(state="attached")
    box = picker.bounding_box()
    assert box and box["width"] <= PHONE_VIEW["width"]
    # The map opens on the stored point (drawn in GCJ-02); a click beside it moves the point.
    page.mouse.click(box["x"] + box["width"] / 2 + 40, box["y"] + box["height"] / 2)
    assert page.locator("#f-location-datum").input_value() == "gcj02"
    lat = float(page.locator("#f-location-lat").input_value())
    lng = float(page.locator("#f-location-lng").input_value())
    page.get_by_role("button", name="保存位置").click()
    page.wait_for_url("**saved=location**")
    assert "已保存机构位置" in page.locator(".notice.success").inner_text()
    engine = create_engine(db_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT latitude, longitude FROM institutions WHERE id = 1")
                              ).one()
    engine.dispose()
    picked = Point(lat, lng)
    # Stored in WGS-84: a few hundred metres from the GCJ-02 point picked, not equal to it.
    assert 0.1 < haversine_km(Point(*stored), picked) < 1.0
    assert serious_violations(page) == []
    assert page.errors == []
