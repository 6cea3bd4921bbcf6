"""The registry import's optional 纬度/经度 columns (WGS-84, issue 21): read, range-checked, in
pairs, stored by the same upsert (portal/registry/rules/imports.py)."""

from __future__ import annotations

import pytest

from portal.registry.rules import cells, imports

CODE = "91350100M000100Y43"
PLACES = imports.Places({"南湖区": (1, {"湖滨街道": 11})})
HEADERS = ["机构名称", "统一社会信用代码", "机构类型", "机构性质", "所在区县", "地址",
           "纬度（WGS-84）", "经度"]


def check(*rows):
    return imports.check_rows(imports.map_headers(HEADERS), enumerate(rows, start=2), PLACES)


def row(lat, lng):
    return ("福寿院", CODE, "养老机构", "民办非营利", "南湖区", "湖滨路1号", lat, lng)


def test_coordinates_are_read_from_number_and_text_cells():
    checked = check(row(30.593, "114.305°"))
    assert checked.problems == []
    assert (checked.rows[0].values["latitude"], checked.rows[0].values["longitude"]) == (
        30.593, 114.305)


@pytest.mark.parametrize(("lat", "lng", "line"), [
    (91, 114.3, "行 2，纬度：应在 -90 到 90 之间：91"),
    (30.5, "东经114度", "行 2，经度：应为以度为单位的数字，如 39.908：东经114度"),
    (30.5, None, "行 2，经度：纬度和经度须同时填写"),
    (None, 114.3, "行 2，纬度：纬度和经度须同时填写"),
    (True, 114.3, "行 2，纬度：应为以度为单位的数字"),
])
def test_bad_or_half_coordinates_are_reported_by_row_and_column(lat, lng, line):
    checked = check(row(lat, lng))
    assert [p.line() for p in checked.problems] == [line]


def test_blank_coordinates_are_optional_and_a_new_institution_gets_none():
    checked = check(row(None, None))
    assert checked.problems == []
    values = imports.new_values(checked.rows[0])
    assert (values["latitude"], values["longitude"]) == (None, None)


def test_changed_coordinates_are_an_update_and_blank_keeps_what_is_stored():
    stored = {"latitude": 30.0, "longitude": 114.0, "district_id": 1, "filing_status": "filed",
              "beds_vacant": 0, "name": "福寿院", "kind": "residential",
              "nature": "private_nonprofit", "address": "湖滨路1号"}
    moved = check(row(30.5, 114.5)).rows[0]
    assert imports.changed_values(moved, stored) == {"latitude": 30.5, "longitude": 114.5}
    kept = check(row(None, None)).rows[0]
    assert imports.changed_values(kept, stored) == {}


def test_the_template_documents_the_columns():
    headers = {c.header: c.fmt for c in imports.COLUMNS}
    assert "WGS-84" in headers["纬度"] and "WGS-84" in headers["经度"]
    assert cells.degrees(-90, 90)(-90) == -90.0
