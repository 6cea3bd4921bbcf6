"""The registry import's pure rules: columns, cells, rows, duplicates, what changes, encodings."""

from __future__ import annotations

import random
from datetime import date, datetime

import pytest

from portal.institutions.rules import creditcode
from portal.registry.rules import cells, imports
from portal.registry.services import ImportFileError, decode

CODE = "91350100M000100Y43"  # GB 32100-2015's worked example
PLACES = imports.Places({"南湖区": (1, {"湖滨街道": 11}), "北山区": (2, {"山前镇": 21})})
HEADERS = ["机构名称", "统一社会信用代码", "机构类型", "机构性质", "所在区县", "乡镇(街道)",
           "地址", "床位数", "空余床位数", "登记日期", "登记机关"]


def check(*rows):
    return imports.check_rows(imports.map_headers(HEADERS), enumerate(rows, start=2), PLACES)


_rng = random.Random(3)


def a_code() -> str:
    return creditcode.generate(_rng, registration_dept="5", org_type="2", region_code="330102")


def good(**changes):
    row = dict(zip(HEADERS, ["福寿院", a_code(), "养老机构", "民办非营利", "南湖区", "湖滨街道",
                             "湖滨路1号", 100, 10, "2020年3月5日", "民政局"], strict=True))
    row.update(changes)
    return tuple(row[h] for h in HEADERS)


def test_a_valid_row_maps_every_column_to_the_institution():
    checked = check(good(统一社会信用代码=CODE))
    assert checked.problems == [] and checked.total == 1
    values = checked.rows[0].values
    assert values == {"name": "福寿院", "credit_code": CODE, "kind": "residential",
                      "nature": "private_nonprofit", "district_id": 1, "street_id": 11,
                      "address": "湖滨路1号", "beds_total": 100, "beds_vacant": 10,
                      "registration_date": date(2020, 3, 5)}


def test_headers_accept_aliases_and_name_what_is_not_kept_and_what_is_missing():
    headers = imports.map_headers(["名称", " 统一社会信用代码 ", "*机构类型", "备案机关", None])
    assert [c.field for c in headers.index.values()] == ["name", "credit_code", "kind"]
    assert headers.ignored == ["备案机关"]
    missing = {p.column for p in headers.problems}
    assert missing == {"机构性质", "所在区县", "地址"}
    assert all(p.line().startswith("表头，") for p in headers.problems)


def test_headers_with_a_unit_or_a_required_mark_are_known_by_the_rest():
    headers = imports.map_headers(["机构名称（全称）", "统一社会信用代码(必填)", "床位数（张）",
                                   "空余床位数 (张)", "机构名称（曾用名）", "地址（英文）"])
    assert [c.field for c in headers.index.values()] == [
        "name", "credit_code", "beds_total", "beds_vacant"]
    # Other notes name other columns: not kept, and said so.
    assert headers.ignored == ["机构名称（曾用名）", "地址（英文）"]


@pytest.mark.parametrize("value, expected", [
    ("2021-03-04", date(2021, 3, 4)), ("2021/3/4", date(2021, 3, 4)),
    ("2021年3月4日", date(2021, 3, 4)), (datetime(2021, 3, 4, 0, 0), date(2021, 3, 4)),
    (" 2021-12-31 ", date(2021, 12, 31)),
])
def test_dates_in_every_accepted_form(value, expected):
    assert cells.a_date(value) == expected


@pytest.mark.parametrize("value, message", [
    ("2021-02-30", "不存在的日期"), ("2021.3.4", "日期格式不正确"), ("去年", "日期格式不正确"),
    ("1800-01-01", "年份不合理"),
])
def test_bad_dates_say_why(value, message):
    with pytest.raises(cells.CellError, match=message):
        cells.a_date(value)


def test_cell_problems_are_reported_by_row_and_column_in_chinese():
    wrong_digit = CODE[:-1] + "4"
    checked = check(good(统一社会信用代码=wrong_digit), good(床位数="-3", 空余床位数=""),
                    good(机构类型="敬老院", 机构性质="民营", 登记日期="2021-13-01",
                         统一社会信用代码="914403001922038216"),
                    good(机构名称="  ", 统一社会信用代码="91350100M000100Y4"))
    lines = [p.line() for p in checked.problems]
    assert lines == [
        "行 2，统一社会信用代码：校验位错误，应为 3",
        "行 3，床位数：不能为负数",
        "行 4，机构类型：不是允许的值：敬老院（可填 养老机构、居家社区养老服务机构、养老服务评估机构、养老服务培训机构）",
        "行 4，机构性质：不是允许的值：民营（可填 公办、公建民营、民办非营利、民办营利）",
        "行 4，登记日期：不存在的日期：2021-13-01",
        "行 5，机构名称：必填，不能为空",
        "行 5，统一社会信用代码：长度不是18位（现为17位）",
    ]
    assert checked.bad_rows == {2, 3, 4, 5} and checked.rows == []


def test_places_are_checked_against_the_city_and_the_street_against_its_district():
    checked = check(good(所在区县="西岭县"), good(**{"乡镇(街道)": "山前镇"}),
                    good(**{"乡镇(街道)": ""}))
    assert [p.line() for p in checked.problems] == [
        "行 2，所在区县：本市没有该区县：西岭县",
        "行 3，乡镇（街道）：南湖区没有该乡镇（街道）：山前镇",
    ]
    assert checked.rows[0].values["district_id"] == 1 and "street_id" not in checked.rows[0].values


def test_vacant_beds_above_the_total_and_numbers_that_are_not_whole():
    checked = check(good(空余床位数=101), good(床位数=12.5), good(床位数="120张", 空余床位数=3.0))
    assert [p.line() for p in checked.problems] == [
        "行 2，空余床位数：空余床位数 101 大于床位数 100",
        "行 3，床位数：应为整数：12.5",
    ]
    assert checked.rows[0].values["beds_total"] == 120


def test_a_code_twice_in_the_file_is_an_error_on_the_later_row_naming_the_first():
    checked = check(good(统一社会信用代码=CODE), good(机构名称="另一家", 统一社会信用代码=CODE),
                    good(统一社会信用代码=CODE.lower()))
    assert [p.line() for p in checked.problems] == [
        "行 3，统一社会信用代码：与行 2 重复", "行 4，统一社会信用代码：与行 2 重复"]
    assert [r.number for r in checked.rows] == [2]


def test_blank_rows_are_skipped_and_labels_or_codes_are_both_accepted():
    checked = check(("",) * len(HEADERS), good(机构类型="community", 机构性质="民办营利性"))
    assert checked.total == 1 and checked.problems == []
    assert checked.rows[0].values["kind"] == "community"
    assert checked.rows[0].values["nature"] == "private_forprofit"


def test_a_code_in_a_number_cell_has_lost_digits_and_is_refused():
    with pytest.raises(cells.CellError, match="数字格式"):
        cells.credit_code(9.1350100e17)


def stored(**changes):
    values = {"id": 7, "name": "福寿院", "credit_code": CODE, "kind": "residential",
              "nature": "private_nonprofit", "district_id": 1, "street_id": 11,
              "address": "湖滨路1号", "beds_total": 100, "beds_vacant": 10,
              "registration_date": date(2020, 3, 5), "filing_status": "registered_unfiled",
              "filing_no": ""}
    values.update(changes)
    return values


def test_the_same_values_change_nothing_and_blank_cells_keep_what_is_stored():
    row = check(good(统一社会信用代码=CODE)).rows[0]
    assert imports.changed_values(row, stored()) == {}
    assert imports.changed_values(row, stored(phone="0571-1")) == {}
    assert imports.changed_values(row, stored(beds_total=80)) == {"beds_total": 100}


def test_updates_keep_the_stored_row_consistent():
    row = check(good(**{"所在区县": "北山区", "乡镇(街道)": "", "统一社会信用代码": CODE})).rows[0]
    assert imports.changed_values(row, stored()) == {"district_id": 2, "street_id": None}
    fewer_beds = imports.Row(2, {"credit_code": CODE, "beds_total": 5})
    assert imports.changed_values(fewer_beds, stored()) == {"beds_total": 5, "beds_vacant": 5}
    filed = imports.Row(2, {"credit_code": CODE, "filing_no": "备1"})
    assert imports.changed_values(filed, stored()) == {"filing_no": "备1", "filing_status": "filed"}


def test_a_new_institution_gets_every_field_and_its_filing_status_from_the_filing_number():
    values = imports.new_values(imports.Row(2, {"credit_code": CODE, "filing_no": "备1"}))
    assert values["filing_status"] == "filed" and values["beds_total"] == 0
    assert set(imports.NEW_DEFAULTS) <= set(values)
    assert imports.new_values(imports.Row(2, {"credit_code": CODE}))["filing_status"] == \
        "registered_unfiled"


def test_csv_encodings_are_detected_and_named():
    text = "机构名称,地址\n福寿院,湖滨路\n"
    assert decode(text.encode("utf-8")) == (text, "UTF-8")
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "UTF-8（带 BOM）")
    assert decode(text.encode("gb18030")) == (text, "GB18030")
    with pytest.raises(ImportFileError, match="编码"):
        decode(b"\x81\x30\xff\xff")
