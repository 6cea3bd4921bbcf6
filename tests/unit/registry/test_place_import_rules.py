"""The places import's pure rules (issue 20): its headers, each row, what it changes."""

from __future__ import annotations

from datetime import date

from portal.registry.rules import place_import as rules
from portal.registry.rules.imports import Places

CITY = Places({"东城区": (1, {"东城第一街道": 10})})
TODAY = date(2026, 12, 7)
HEAD = ["名称", "来源", "发现时间", "发现单位", "区县", "地址", "备注"]


def plan(rows, stored=None):
    headers = rules.map_headers(HEAD)
    return rules.plan(headers, enumerate(rows, start=2), CITY, stored or {}, TODAY)


def test_headers_by_alias_and_the_missing_ones():
    headers = rules.map_headers(HEAD)
    assert headers.problems == [] and headers.ignored == ["备注"]
    missing = rules.map_headers(["场所名称", "地址"])
    assert {p.column for p in missing.problems} == {"所在区县", "发现途径", "发现日期", "发现单位或人员"}


def test_rows_are_places_with_their_discovery():
    result = plan([("托老点", "检查", "2025-08-08", "区民政局", "东城区", "老街1号", "x"),
                   ("托老点", "投诉", "2025-08-09", "热线", "东城区", "老街1号", ""),
                   ("", "其他", "2027-01-01", "", "西城区", "", "")])
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (3, "场所名称", "与行 2 是同一场所"),
        (4, "场所名称", "必填，不能为空"),
        (4, "发现单位或人员", "必填，不能为空"),
        (4, "地址", "必填，不能为空"),
        (4, "所在区县", "本市没有该区县：西城区"),
        (4, "发现日期", "不能晚于今天（2026-12-07）"),
    ]
    assert result.new == [{"kind": "residential", "nature": "private_forprofit",
                           "name": "托老点", "discovered_via": "inspection",
                           "discovered_on": date(2025, 8, 8), "discovered_by": "区民政局",
                           "district_id": 1, "address": "老街1号",
                           "filing_status": "unregistered"}]


def test_stored_places_change_only_where_the_file_differs():
    row = ("托老点", "检查", "2025-08-08", "区民政局", "东城区", "老街1号", "")
    values = {"name": "托老点", "credit_code": None, "kind": "residential",
              "nature": "private_forprofit", "district_id": 1, "street_id": None,
              "address": "老街1号", "legal_representative": "", "phone": "", "beds_total": 0,
              "discovered_via": "inspection", "discovered_on": date(2025, 8, 8),
              "discovered_by": "区民政局", "filing_status": "unregistered"}
    key = ("place", 1, "托老点", "老街1号")
    same = plan([row], {key: rules.Stored(7, "托老点", True, values)})
    assert (same.new, same.changed, same.unchanged) == ([], [], 1)
    moved = plan([row[:2] + ("2025-08-01",) + row[3:]],
                 {key: rules.Stored(7, "托老点", True, values)})
    assert moved.changed == [{"discovered_on": date(2025, 8, 1), "id": 7}]
    filed = {**values, "filing_status": "filed", "credit_code": "X"}
    assert plan([row], {key: rules.Stored(7, "托老点", True, filed)}).unchanged == 1
    other = plan([row], {key: rules.Stored(8, "正规院", False, values)})
    assert other.problems[0].message == "已登记为机构“正规院”（编号 8），不是未登记场所"
