"""Unregistered places' pure rules (issue 20): what may follow what, the on-site check from the
discovery day by N working days (seed 001: 20, seed 002: 10)."""

from __future__ import annotations

from datetime import date

from complaints.rules.calendar import WorkCalendar
from portal.institutions.rules.thresholds import Thresholds
from portal.opendata.rules.indicator_types import Period
from portal.registry.rules import places

FOUND = date(2025, 8, 8)


def test_what_may_follow_what():
    assert places.follow_up_problems(None, "banned", FOUND, FOUND, None, "责令停止经营") == {}
    assert places.follow_up_problems("referred", "registered", FOUND, FOUND, FOUND, "") == {}
    assert places.follow_up_problems("banned", "referred", FOUND, FOUND, FOUND, "x") == {
        "outcome": "该场所已取缔，不能再记录为已转介"}
    assert places.follow_up_problems(None, "referred", date(2025, 8, 7), FOUND, None, "") == {
        "note": "请写明转介给哪个部门及原因（如：转市场监管部门查处无照经营）",
        "decided_on": "不能早于发现日期 2025-08-08"}
    assert places.follow_up_problems("referred", "banned", date(2025, 8, 9), FOUND,
                                     date(2025, 8, 10), "取缔") == {
        "decided_on": "不能早于上一次跟进的日期 2025-08-10"}
    assert places.state_label(None) == "跟进中" and places.state_label("referred") == "已转介"


def test_a_conversion_needs_a_credit_code_and_a_registration():
    assert places.conversion_problems(None, "registered_unfiled") == {
        "credit_code": "转为登记机构须填写统一社会信用代码"}
    assert places.conversion_problems("X" * 18, "unregistered") != {}
    assert places.conversion_problems("X" * 18, "filed") == {}


def period(days: int, today: date) -> Period:
    # 2025's calendar has no holiday between 08-08 and 09-30.
    return Period(year=2025, today=today, calendar=WorkCalendar({}),
                  thresholds=Thresholds(onsite_check_working_days=days))


def test_the_check_is_due_n_working_days_after_the_discovery():
    late = places.onsite_check(FOUND, [date(2025, 8, 29)], period(10, date(2025, 12, 1)))
    assert (late.due, late.done_on, late.status) == (date(2025, 8, 22), date(2025, 8, 29),
                                                     "逾期检查")
    on_time = places.onsite_check(FOUND, [date(2025, 8, 1), date(2025, 8, 29)],
                                  period(20, date(2025, 12, 1)))
    assert (on_time.due, on_time.done_on, on_time.status) == (date(2025, 9, 5),
                                                              date(2025, 8, 29), "按期检查")
    assert places.onsite_check(FOUND, [], period(20, date(2025, 9, 5))).status == "未到期"
    assert places.onsite_check(FOUND, [], period(20, date(2025, 9, 8))).status == "未检查（已超期）"
