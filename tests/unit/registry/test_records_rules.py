"""The government-records kinds' rows (portal/registry/rules/records.py): cells read as the
registry reads them, then checked by the government entry forms."""

from __future__ import annotations

import random
from datetime import date, datetime

from portal.institutions.rules import creditcode
from portal.registry.rules.imports import map_headers
from portal.registry.rules.records import CREDIT, GRADES, INSPECTIONS, PENALTIES, RecordChecker

CODE = creditcode.generate(random.Random(1), registration_dept="5", org_type="1",
                           region_code="330102")
TODAY = date(2026, 12, 7)


def check(kind, *rows):
    headers = map_headers([c.header for c in kind.columns], kind.columns)
    checker = RecordChecker(kind, headers, TODAY)
    valid = [checker.check(n, tuple(cells)) for n, cells in enumerate(rows, start=2)]
    return valid, {(p.row, p.column): p.message for p in checker.problems}


def test_a_grade_from_excel_cells():
    [row], problems = check(GRADES, [CODE, "评001", "四级", "示范市民政局",
                                     datetime(2025, 3, 1), "", "是"])
    assert problems == {}
    assert row.code == "评001" and row.values == {
        "credit_code": CODE, "record_no": "评001", "level": 4, "awarded_by": "示范市民政局",
        "awarded_on": date(2025, 3, 1), "valid_until": None, "gb38600_compliant": True}


def test_the_forms_rules_between_fields_apply():
    _, problems = check(GRADES, [CODE, "评1", "六级", "局", "2025-03-01", "2024-01-01", "是"])
    assert problems == {(2, "等级"): "不是允许的值：六级（可填 一级、二级、三级、四级、五级）"}
    _, problems = check(GRADES, [CODE, "评1", "一级", "局", "2025-03-01", "2024-01-01", "是"])
    assert problems == {(2, "有效期至"): "有效期应晚于评定日期"}
    _, problems = check(INSPECTIONS, [CODE, "检1", "民政局", "2026-05-01", "消防", "",
                                      "未发现问题", "整改中", ""])
    assert problems[(2, "整改情况")].startswith("未发现问题或已当场整改的")


def test_a_penalty_amount_and_status_labels():
    [row], problems = check(PENALTIES, [CODE, "罚1", "市场监管局", "2026-04-01", "行为", "依据",
                                        "罚款", 5000.0, "已履行"])
    assert problems == {} and str(row.values["amount"]) == "5000.00" and row.values["status"] == "paid"
    assert row.values["department"] == "市场监管局" and row.code == "罚1"
    _, problems = check(PENALTIES, [CODE, "罚1", "局", "2026-04-01", "行为", "依据", "罚款",
                                    "-3", ""])
    assert (2, "罚款金额（元）") in problems


def test_numbers_twice_in_a_file_and_blank_required_cells():
    rows = [CODE, "信1", "红名单", "局", "守信", "条例", "2026-01-01", "", ""]
    _, problems = check(CREDIT, rows, rows, [CODE, "", "黑名单", "局", "", "条例", "2026-01-01",
                                            "", ""])
    assert problems == {(3, "列入决定文号"): "与行 2 重复", (4, "列入决定文号"): "必填，不能为空",
                        (4, "列入事由"): "必填，不能为空"}


def test_a_future_date_is_refused_as_the_form_refuses_it():
    _, problems = check(CREDIT, [CODE, "信1", "黑名单", "局", "事由", "条例", "2027-01-01", "", ""])
    assert problems == {(2, "列入日期"): "列入日期不能晚于今天（2026-12-07）"}
