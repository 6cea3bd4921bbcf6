"""The registry lifecycle's pure rules (portal/registry/rules/lifecycle.py): which status may
follow which, dates against the last change, the 安置 plan a suspension or exit needs while
elders remain (苏府办〔2021〕248号 二(九); 实施方案 (七)), 安置 progress, and who keeps the registry."""

from __future__ import annotations

from datetime import date

import pytest

from portal.accounts.rules.roles import Role
from portal.registry.rules.lifecycle import (
    Change,
    Previous,
    Progress,
    change_problems,
    may_keep_registry,
    progress_problems,
    resettlement_state,
)

OPERATING = Previous("operating", date(2026, 3, 1))


def suspend(**over) -> Change:
    values = dict(status="suspended", effective_on=date(2026, 6, 1), reason="停业整顿",
                  elders_in_care=12, resettle_to="市福利院", resettle_by=date(2026, 6, 30))
    values.update(over)
    return Change(**values)


def test_a_complete_suspension_passes():
    assert change_problems(OPERATING, suspend()) == {}


def test_the_same_status_again_is_refused():
    assert "无需变更" in change_problems(OPERATING, Change("operating", date(2026, 6, 1), "", 0))[
        "status"]


@pytest.mark.parametrize("before,after", [("preparing", "suspended"), ("closed", "operating"),
                                          ("closed", "suspended")])
def test_transitions_not_allowed(before, after):
    problems = change_problems(Previous(before, None), suspend(status=after))
    assert "status" in problems


def test_closed_is_final_with_its_own_message():
    problems = change_problems(Previous("closed", date(2026, 1, 1)), suspend(status="operating"))
    assert "重新开办的请作为新机构登记" in problems["status"]


def test_a_date_before_the_previous_change_is_refused():
    problems = change_problems(OPERATING, suspend(effective_on=date(2026, 2, 28)))
    assert problems["effective_on"] == ("生效日期（2026-02-28）不能早于上一次状态变更的生效日期"
                                        "（2026-03-01）")
    assert "effective_on" not in change_problems(OPERATING, suspend(effective_on=date(2026, 3, 1)))


def test_no_previous_change_means_no_date_rule():
    assert change_problems(Previous("operating", None), suspend(effective_on=date(2000, 1, 1))) == {}


def test_exit_without_a_plan_while_elders_remain():
    problems = change_problems(OPERATING, suspend(status="closed", resettle_to="",
                                                  resettle_by=None))
    assert "仍有在住老人 12 人" in problems["resettle_to"]
    assert "苏府办〔2021〕248号 二(九)" in problems["resettle_to"]
    assert "安置完成期限" in problems["resettle_by"]


def test_exit_without_elders_needs_no_plan_but_a_reason():
    problems = change_problems(OPERATING, suspend(status="closed", elders_in_care=0,
                                                  resettle_to="", resettle_by=None, reason=""))
    assert problems == {"reason": "请填写终止（注销）的原因"}


def test_elders_count_is_required_for_a_stop():
    assert "elders_in_care" in change_problems(OPERATING, suspend(elders_in_care=None))


def test_reopening_needs_no_reason_nor_plan():
    previous = Previous("suspended", date(2026, 6, 1))
    assert change_problems(previous, Change("operating", date(2026, 7, 1), "", None)) == {}


@pytest.mark.parametrize("done,done_on,field", [
    (13, date(2026, 6, 20), "resettled_count"),
    (12, None, "resettled_on"),
    (5, date(2026, 6, 20), "resettled_on"),
    (None, None, "resettled_count"),
])
def test_progress_problems(done, done_on, field):
    assert field in progress_problems(12, Progress(done, done_on))


def test_progress_within_the_plan_passes():
    assert progress_problems(12, Progress(5, None)) == {}
    assert progress_problems(12, Progress(12, date(2026, 6, 20))) == {}
    assert "不能多于需安置人数（12）" in progress_problems(12, Progress(13, None))["resettled_count"]


def test_resettlement_state():
    assert resettlement_state(None, 0) == "none"
    assert resettlement_state(0, 0) == "none"
    assert resettlement_state(3, 2) == "open"
    assert resettlement_state(3, 3) == "done"


def test_who_keeps_the_registry():
    assert may_keep_registry(Role.SUPERVISOR, None, None, 5)
    assert may_keep_registry(Role.ADMIN, None, None, 5)
    assert may_keep_registry(Role.DEPARTMENT, "civil_affairs", None, 5)  # city office
    assert may_keep_registry(Role.DEPARTMENT, "civil_affairs", 5, 5)
    assert not may_keep_registry(Role.DEPARTMENT, "civil_affairs", 4, 5)  # another district
    assert not may_keep_registry(Role.DEPARTMENT, "fire_rescue", None, 5)
    assert not may_keep_registry(Role.OPERATOR, None, None, 5)
    assert not may_keep_registry(Role.INSTITUTION, None, None, 5)
