"""Near me (issue 21) over HTTP on SQLite and PostgreSQL: the directory sorted by distance from
a point or a street's centroid, paged in the database, unlocated institutions last, bad input
answered in Chinese (the page) or naming the field (the API); civil affairs sets coordinates on
/gov, audited, the page version following; the map view only with a tile source."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent
from portal.institutions.models import Institution
from portal.institutions.rules.geo import Point, haversine_km, to_gcj02
from portal.orgs.models import Street

from factories import department, district, institution
from support import post_form as post
from support import sign_in

ORIGIN = Point(30.593, 114.305)
KM = 1 / 111.195  # a kilometre north, in degrees of latitude


class _Results(HTMLParser):
    """The result list's institution ids in order, and each one's distance line."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[int] = []
        self.distances: list[str] = []
        self.notices: list[str] = []
        self._where = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "a" and self._where == "h2":
            match = re.search(r"/institutions/(\d+)$", attrs.get("href", ""))
            if match:
                self.ids.append(int(match.group(1)))
        if tag == "h2":
            self._where = "h2"
        elif tag == "p" and "distance" in classes:
            self._where = "distance"
            self.distances.append("")
        elif tag == "p" and "near-notice" in classes:
            self._where = "notice"
            self.notices.append("")

    def handle_endtag(self, tag):
        if tag in ("h2", "p"):
            self._where = ""

    def handle_data(self, data):
        if self._where == "distance":
            self.distances[-1] += data
        elif self._where == "notice":
            self.notices[-1] += data


def results(client, **params) -> _Results:
    response = client.get("/institutions/", params=params)
    assert response.status_code == 200, response.text[:500]
    parsed = _Results()
    parsed.feed(response.text)
    return parsed


def located(db, d, km_north: float, km_east: float = 0.0, **overrides) -> Institution:
    scale = KM / 0.8607  # cos(30.593°): a kilometre east, in degrees of longitude
    return institution(db, district_=d, latitude=ORIGIN.lat + km_north * KM,
                       longitude=ORIGIN.lng + km_east * scale, **overrides)


@pytest.fixture
def city(db):
    """Seven located institutions at known distances (names against the distance order) and
    two without coordinates."""
    d = district(db)
    far = located(db, d, 9, name="甲 9 公里")
    near = located(db, d, 0.4, name="乙 0.4 公里")
    east = located(db, d, 0, 3, name="丙 东 3 公里")
    south = located(db, d, -5, name="丁 南 5 公里")
    mid = located(db, d, 2, 2, name="戊 2.83 公里")
    ne = located(db, d, 6, 6, name="己 8.49 公里")
    west = located(db, d, 0, -1.5, name="庚 西 1.5 公里")
    lost = [institution(db, district_=d, name="阿 无坐标"),
            institution(db, district_=d, name="啊 只有纬度", latitude=ORIGIN.lat)]
    db.commit()
    order = [near, west, mid, east, south, ne, far]
    return d, [i.id for i in order], [i.id for i in lost]


def test_the_api_sorts_by_distance_pages_in_the_database_and_lists_unlocated_last(client, city):
    _d, order, lost = city
    seen, km = [], []
    for page in (1, 2, 3):
        body = client.get("/api/v1/institutions", params={
            "sort": "distance", "lat": ORIGIN.lat, "lng": ORIGIN.lng, "per_page": 4,
            "page": page}).json()
        assert body["total"] == 9 and body["pages"] == 3
        seen += [item["id"] for item in body["items"]]
        km += [item["distance_km"] for item in body["items"]]
    assert seen[:7] == order and sorted(seen[7:]) == sorted(lost)
    assert km[:7] == pytest.approx([0.4, 1.5, 2.83, 3.0, 5.0, 8.49, 9.0], abs=0.02)
    assert km[7:] == [None, None]
    assert body["items"][0]["location"] is None


def test_the_page_shows_each_distance_and_says_from_where(client, city):
    _d, order, lost = city
    page = results(client, sort="distance", lat="30.593", lng="114.305")
    assert page.ids[:7] == order and sorted(page.ids[7:]) == sorted(lost)
    assert page.distances[:4] == ["约 0.4 公里（距您的位置直线距离）", "约 1.5 公里（距您的位置直线距离）",
                                  "约 2.8 公里（距您的位置直线距离）", "约 3.0 公里（距您的位置直线距离）"]
    assert page.distances[7:] == ["暂无位置信息", "暂无位置信息"]
    assert page.notices == []


def test_a_streets_centroid_is_an_origin(client, db, city):
    d, order, _lost = city
    street = d.streets[0]
    assert results(client, sort="distance", near=street.id).notices  # kept: no centroid yet
    db.execute(Street.__table__.update().where(Street.id == street.id).values(
        latitude=ORIGIN.lat + 9 * KM, longitude=ORIGIN.lng))  # where 甲 stands
    db.commit()
    page = results(client, sort="distance", near=street.id)  # the cache followed (0013)
    assert page.ids[0] == order[-1] and page.distances[0].startswith("不足 0.1 公里（距")
    assert street.name in page.distances[0]
    # The browser's point, when sent, wins over the street.
    assert results(client, sort="distance", near=street.id, lat=ORIGIN.lat,
                   lng=ORIGIN.lng).ids[:7] == order


def test_without_a_point_the_page_explains_and_keeps_name_order(client, db, city):
    d, _order, _lost = city
    plain = results(client)
    asked = results(client, sort="distance")
    assert asked.ids == plain.ids and asked.distances == []
    assert asked.notices == ["未能获取您的位置。请在“距离起点”中选择您所在的街道（社区），再按距离排序。"]
    street = d.streets[0]  # no centroid
    without = results(client, sort="distance", near=street.id)
    assert without.notices == [f"{street.name}暂无位置坐标，请选择其他街道（社区）。"]
    assert without.ids == plain.ids


@pytest.mark.parametrize(("params", "notice"), [
    ({"lat": "91", "lng": "114"}, "纬度应为 -90 到 90 之间的数字，如 39.908"),
    ({"lat": "30.5", "lng": "东经114"}, "经度应为 -180 到 180 之间的数字，如 116.397"),
    ({"lat": "30.5"}, "请同时提供经度（纬度和经度成对使用）"),
])
def test_a_bad_point_on_the_page_is_a_friendly_message_never_an_error(client, city, params,
                                                                      notice):
    page = results(client, sort="distance", **params)
    assert notice in page.notices and page.distances == []


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"sort": "distance"}, "lat", "按距离排序需要 lat 和 lng"),
    ({"sort": "distance", "lat": "-90.5", "lng": "1"}, "lat", "纬度应为 -90 到 90"),
    ({"sort": "distance", "lat": "1", "lng": "inf"}, "lng", "经度应为 -180 到 180"),
    ({"sort": "distance", "lng": "1"}, "lat", "请同时提供纬度"),
    ({"sort": "distance", "near": "999999"}, "near", "没有这个街道（社区）"),
])
def test_the_api_refuses_a_bad_point_naming_the_field(client, city, params, field, message):
    response = client.get("/api/v1/institutions", params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == field and error["message"].startswith(message)


def test_located_institutions_carry_their_point_in_the_api(client, city):
    _d, order, _lost = city
    body = client.get(f"/api/v1/institutions/{order[0]}").json()
    assert body["location"]["datum"] == "WGS-84"
    assert body["location"]["latitude"] == pytest.approx(ORIGIN.lat + 0.4 * KM)


# --- civil affairs sets an institution's coordinates ----------------------------------------

def test_a_supervisor_sets_coordinates_audited_and_the_page_version_follows(client, db):
    inst = institution(db)
    db.commit()
    version = inst.records_version
    actor = sign_in(client, db, Role.SUPERVISOR)
    page = client.get(f"/gov/institutions/{inst.id}")
    assert "设置机构位置" in page.text and "location-picker" not in page.text  # no tiles: no map
    response = post(client, f"/gov/institutions/{inst.id}/location", lat="30.593", lng="114.305")
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"saved=location#location-{inst.id}")
    db.expire_all()
    stored = db.get(Institution, inst.id)
    assert (stored.latitude, stored.longitude) == (30.593, 114.305)
    assert stored.records_version > version
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "institution.location")).one()
    assert event.actor_id == actor.id and event.detail["before"] == [None, None]
    assert event.detail["after"] == [30.593, 114.305]
    assert "纬度 30.593，经度 114.305" in client.get(response.headers["location"]).text
    # Both blank clears; audited again.
    assert post(client, f"/gov/institutions/{inst.id}/location", lat="", lng="").status_code == 303
    db.expire_all()
    assert db.get(Institution, inst.id).latitude is None


def test_a_point_picked_on_gcj02_tiles_is_stored_as_wgs84(client, db):
    inst = institution(db)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    shown = to_gcj02(ORIGIN)
    post(client, f"/gov/institutions/{inst.id}/location", lat=f"{shown.lat:.6f}",
         lng=f"{shown.lng:.6f}", datum="gcj02")
    db.expire_all()
    stored = db.get(Institution, inst.id)
    assert haversine_km(Point(stored.latitude, stored.longitude), ORIGIN) < 0.002


@pytest.mark.parametrize(("data", "message"), [
    ({"lat": "95", "lng": "114"}, "纬度应为 -90 到 90 之间的数字"),
    ({"lat": "30.5", "lng": ""}, "请同时填写经度"),
    ({"lat": "30.5", "lng": "114", "datum": "bd09"}, "坐标系只能是 wgs84 或 gcj02"),
])
def test_bad_coordinates_are_shown_in_the_form_and_nothing_is_stored(client, db, data, message):
    inst = institution(db)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    response = post(client, f"/gov/institutions/{inst.id}/location", **data)
    assert response.status_code == 400 and message in response.text
    db.expire_all()
    assert db.get(Institution, inst.id).latitude is None


def test_a_department_user_may_not_set_coordinates(client, db):
    inst = institution(db)
    office = department(db, "fire_rescue")
    db.commit()
    sign_in(client, db, Role.DEPARTMENT, department_id=office.id)
    assert "机构位置由民政部门设置" in client.get(f"/gov/institutions/{inst.id}").text
    response = post(client, f"/gov/institutions/{inst.id}/location", lat="30", lng="114")
    assert response.status_code == 403 and "机构位置只能由民政部门设置" in response.text
    db.expire_all()
    assert db.get(Institution, inst.id).latitude is None
    refused = db.scalars(select(AuditEvent).where(AuditEvent.action == "records.refused")).one()
    assert refused.object_type == "location"


# --- the map view ---------------------------------------------------------------------------

def test_no_tile_source_no_map_and_nothing_from_another_site(client, city):
    response = client.get("/institutions/", params={"view": "map"})
    assert "在地图上查看" not in response.text and "directory-map" not in response.text
    assert "leaflet" not in response.text
    assert "img-src 'self' data:;" in response.headers["content-security-policy"]


def test_a_tile_source_offers_the_map_with_points_in_its_datum(client, city, monkeypatch):
    from portal.core.settings import reset_settings

    monkeypatch.setenv("PORTAL_MAP_TILES", "https://tiles.example.org/{z}/{x}/{y}.png")
    monkeypatch.setenv("PORTAL_MAP_ATTRIBUTION", "© 示例地图")
    monkeypatch.setenv("PORTAL_MAP_DATUM", "gcj02")
    reset_settings()
    try:
        listed = client.get("/institutions/", params={"sort": "distance", "lat": ORIGIN.lat,
                                                      "lng": ORIGIN.lng})
        assert "在地图上查看本页机构" in listed.text and "directory-map" not in listed.text
        shown = client.get("/institutions/", params={"sort": "distance", "lat": ORIGIN.lat,
                                                     "lng": ORIGIN.lng, "view": "map"})
        assert 'id="directory-map"' in shown.text and "/static/vendor/leaflet/leaflet.js" in shown.text
        assert "img-src 'self' data: https://tiles.example.org;" in \
            shown.headers["content-security-policy"]
        lat = float(re.search(r'data-lat="([0-9.]+)"', shown.text).group(1))
        assert lat == pytest.approx(to_gcj02(Point(ORIGIN.lat + 0.4 * KM, ORIGIN.lng)).lat)
        assert "本页有 2 家机构暂无位置信息" in shown.text
    finally:
        monkeypatch.undo()
        reset_settings()


def test_the_databases_order_is_the_ranking_key_and_haversine_up_to_near_ties(client, db):
    """The ORDER BY the database runs against geo.ranking_key (the same arithmetic) and the
    great-circle order, on 60 random homes within 50 km."""
    import random

    from portal.institutions.rules.geo import ranking_key

    rng = random.Random(21)
    d = district(db)
    points = {}
    for n in range(60):
        north, east = rng.uniform(-50, 50), rng.uniform(-50, 50)
        inst = located(db, d, north * 0.7, east * 0.7, name=f"随机{n}")
        points[inst.id] = Point(inst.latitude, inst.longitude)
    db.commit()
    body = client.get("/api/v1/institutions", params={
        "sort": "distance", "lat": ORIGIN.lat, "lng": ORIGIN.lng, "per_page": 100}).json()
    got = [item["id"] for item in body["items"]]
    assert got == sorted(points, key=lambda i: ranking_key(ORIGIN, points[i].lat, points[i].lng))
    true = [haversine_km(ORIGIN, points[i]) for i in got]
    for a, b in zip(true, true[1:], strict=False):
        assert a <= b or a - b <= 0.01 * a  # out of great-circle order only within the bound
