"""An institution typed in the back office is checked by the registry import's rules, with the
import's messages, keyed by field (portal/registry/rules/imports.py `check_fields`): one rule,
one message for a form and a file."""

from __future__ import annotations

from datetime import date

from portal.registry.rules import imports

CODE = "91350100M000100Y43"  # GB 32100-2015's worked example
PLACES = imports.Places({"南湖区": (1, {"湖滨街道": 11}), "北山区": (2, {"山前镇": 21})})
GOOD = {"name": "福寿院", "credit_code": CODE, "kind": "residential", "nature": "private_nonprofit",
        "district": "南湖区", "street": "湖滨街道", "address": "湖滨路1号", "beds_total": "100",
        "beds_vacant": "10", "registration_date": "2020年3月5日"}


def test_a_valid_form_gives_the_import_values():
    values, problems = imports.check_fields(GOOD, PLACES)
    assert problems == {}
    assert values["district_id"] == 1 and values["street_id"] == 11
    assert values["beds_total"] == 100 and values["registration_date"] == date(2020, 3, 5)
    assert values["kind"] == "residential"


def test_the_form_gets_the_same_message_as_an_imported_row():
    bad = {**GOOD, "credit_code": CODE[:-1] + "X", "street": "山前镇", "beds_vacant": "120",
           "registration_date": "2020-02-30", "name": ""}
    _values, problems = imports.check_fields(bad, PLACES)
    headers = [c.header for c in imports.COLUMNS]
    row = tuple(bad.get(c.field) for c in imports.COLUMNS)
    from_file = imports.check_rows(imports.map_headers(headers), [(2, row)], PLACES).problems
    by_header = {c.header: c.field for c in imports.COLUMNS}
    assert problems == {by_header[p.column]: p.message for p in from_file}
    assert problems["credit_code"] == "校验位错误，应为 3"
    assert problems["street"] == "南湖区没有该乡镇（街道）：山前镇"
    assert problems["name"] == "必填，不能为空"
    assert "不存在的日期" in problems["registration_date"]
    assert problems["beds_vacant"] == "空余床位数 120 大于床位数 100"
