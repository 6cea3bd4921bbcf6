"""The records' jurisdiction rule: reach (district / city / co-handling) and duties per kind."""

from __future__ import annotations

from datetime import date

import pytest

from portal.accounts.rules.roles import Role
from portal.institutions.rules.jurisdiction import (
    CO_HANDLING_DAYS,
    DUTIES,
    KINDS,
    Office,
    co_handling_open,
    decide,
)
from portal.orgs.vocab import DEPARTMENT_TYPES

HOME, OTHER = 1, 2


def test_every_duty_names_a_known_department_type_and_a_seed():
    for duties in DUTIES.values():
        for code, basis in duties.items():
            assert code in DEPARTMENT_TYPES
            assert "苏州" in basis or "昆明" in basis


def test_a_district_fire_brigade_fines_only_in_its_own_district():
    brigade = Office("fire_rescue", HOME)
    assert decide(Role.DEPARTMENT, brigade, "penalty", HOME).allowed
    refused = decide(Role.DEPARTMENT, brigade, "penalty", OTHER)
    assert not refused.allowed and "辖区" in refused.reason and "属地管理" in refused.reason


def test_a_city_office_records_city_wide():
    for district_id in (HOME, OTHER):
        assert decide(Role.DEPARTMENT, Office("fire_rescue", None), "penalty", district_id).allowed
        assert decide(Role.DEPARTMENT, Office("market_regulation", None), "inspection",
                      district_id).allowed


def test_co_handling_opens_inspections_and_penalties_only():
    brigade = Office("fire_rescue", HOME)
    for kind in ("inspection", "penalty"):
        assert decide(Role.DEPARTMENT, brigade, kind, OTHER, co_handling=True).allowed
    civil = Office("civil_affairs", HOME)
    assert not decide(Role.DEPARTMENT, civil, "grade", OTHER, co_handling=True).allowed


def test_duties_decide_the_kind():
    market = Office("market_regulation", None)
    refused = decide(Role.DEPARTMENT, market, "grade", HOME)
    assert not refused.allowed and "不属于市场监督管理局的职责" in refused.reason
    assert decide(Role.DEPARTMENT, Office("civil_affairs", HOME), "grade", HOME).allowed
    assert not decide(Role.DEPARTMENT, Office("education", None), "inspection", HOME).allowed
    assert not decide(Role.DEPARTMENT, Office("audit", None), "penalty", HOME).allowed
    # 发展改革 inspects fund use and keeps the credit lists, but prices are market regulation's.
    reform = Office("development_reform", None)
    assert decide(Role.DEPARTMENT, reform, "inspection", HOME).allowed
    assert decide(Role.DEPARTMENT, reform, "credit", HOME).allowed
    assert not decide(Role.DEPARTMENT, reform, "penalty", HOME).allowed


def test_the_penalising_office_may_black_list_but_not_red_list():
    brigade = Office("fire_rescue", HOME)
    assert not decide(Role.DEPARTMENT, brigade, "credit", HOME).allowed
    assert decide(Role.DEPARTMENT, brigade, "credit", HOME, decided_penalty=True,
                  list_type="black").allowed
    assert not decide(Role.DEPARTMENT, brigade, "credit", HOME, decided_penalty=True,
                      list_type="red").allowed
    assert not decide(Role.DEPARTMENT, brigade, "credit", OTHER, decided_penalty=True,
                      list_type="black").allowed


@pytest.mark.parametrize("kind", list(KINDS))
def test_supervisors_and_admins_record_everywhere_others_nowhere(kind):
    for role in (Role.SUPERVISOR, Role.ADMIN):
        assert decide(role, Office("civil_affairs", None), kind, OTHER).allowed
    for role in (Role.OPERATOR, Role.INSTITUTION):
        assert not decide(role, None, kind, HOME).allowed
    assert not decide(Role.DEPARTMENT, None, kind, HOME).allowed
    assert not decide(Role.DEPARTMENT, Office("civil_affairs", None), "assessment", HOME).allowed


def test_co_handling_window():
    asked = date(2026, 3, 1)
    assert co_handling_open(asked, None, date(2026, 12, 1))  # still pending
    replied = date(2026, 3, 10)
    assert co_handling_open(asked, replied, date(2026, 3, 10).replace(day=10))
    last = date.fromordinal(replied.toordinal() + CO_HANDLING_DAYS)
    assert co_handling_open(asked, replied, last)
    assert not co_handling_open(asked, replied, date.fromordinal(last.toordinal() + 1))
    assert not co_handling_open(date(2026, 4, 1), None, date(2026, 3, 31))
