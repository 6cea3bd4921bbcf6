"""Credit blockers (portal/institutions/rules/credit.py): hand-made cases on a fixed date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.institutions.rules.credit import (
    AssessmentFact,
    ComplaintFact,
    CreditFacts,
    PenaltyFact,
    RectificationFact,
    blockers,
    latest_assessment,
    refusal_message,
)

TODAY = date(2026, 12, 6)
YEAR = 365


def codes(facts: CreditFacts, lookback: int = YEAR) -> list[str]:
    return [b.code for b in blockers(facts, TODAY, lookback)]


def test_nothing_on_record_blocks_nothing():
    assert blockers(CreditFacts(), TODAY, YEAR) == []


def test_rectification_overdue_666_days_blocks_however_old():
    deadline = TODAY - timedelta(days=666)
    facts = CreditFacts(rectifications=(
        RectificationFact(deadline - timedelta(days=30), "pending", deadline, "东城区民政局"),))
    found = blockers(facts, TODAY, YEAR)
    assert [b.code for b in found] == ["rectification_overdue"]
    assert "已逾期 666 天" in found[0].detail and "东城区民政局" in found[0].detail
    assert found[0].severity == "serious"


@pytest.mark.parametrize("status,deadline,blocked", [
    ("pending", TODAY - timedelta(days=1), True),
    ("pending", TODAY, False),  # due today: not yet late
    ("pending", TODAY + timedelta(days=10), False),
    ("overdue", None, True),  # marked overdue by the inspecting office
    ("done", TODAY - timedelta(days=100), False),
    ("none_required", None, False),
])
def test_rectification_cases(status, deadline, blocked):
    facts = CreditFacts(rectifications=(RectificationFact(date(2024, 1, 5), status, deadline),))
    assert codes(facts) == (["rectification_overdue"] if blocked else [])


@pytest.mark.parametrize("days_ago,blocked", [(0, True), (364, True), (365, False), (800, False),
                                              (-1, False)])
def test_penalty_counts_within_the_period(days_ago, blocked):
    facts = CreditFacts(penalties=(
        PenaltyFact(TODAY - timedelta(days=days_ago), "测民罚〔2026〕1号", "市场监管局"),))
    assert codes(facts) == (["penalty"] if blocked else [])


def test_penalty_period_follows_the_setting():
    facts = CreditFacts(penalties=(PenaltyFact(TODAY - timedelta(days=500), "罚〔2025〕2号"),))
    assert codes(facts, YEAR) == [] and codes(facts, 730) == ["penalty"]


@pytest.mark.parametrize("outcome,code", [
    ("substantiated", "complaint_substantiated"),
    ("partly", "complaint_partly"),
    ("unfounded", None),
    ("unverifiable", None),
    (None, None),  # answered before outcomes were recorded: unknown, not substantiated
])
def test_only_substantiated_complaints_block(outcome, code):
    facts = CreditFacts(complaints=(ComplaintFact(TODAY - timedelta(days=20), outcome),))
    assert codes(facts) == ([code] if code else [])


def test_old_substantiated_complaints_no_longer_block():
    facts = CreditFacts(complaints=(ComplaintFact(TODAY - timedelta(days=400), "substantiated"),))
    assert codes(facts) == []


def test_substantiated_complaints_are_counted_with_the_latest_date():
    facts = CreditFacts(complaints=(ComplaintFact(date(2026, 11, 2), "substantiated"),
                                    ComplaintFact(date(2026, 6, 1), "substantiated")))
    (found,) = blockers(facts, TODAY, YEAR)
    assert "2 件投诉经核查查实" in found.detail and "2026年11月2日" in found.detail


@pytest.mark.parametrize("results,code", [
    ((("kept", date(2026, 5, 1)),), None),
    ((("breach", date(2026, 5, 1)),), "breach"),
    ((("serious_breach", date(2026, 5, 1)),), "serious_breach"),
    # The latest judgement is in force: a later 履约良好 clears an earlier breach...
    ((("breach", date(2026, 3, 1)), ("kept", date(2026, 9, 1))), None),
    # ...and a later breach overrides an earlier 履约良好.
    ((("kept", date(2026, 3, 1)), ("serious_breach", date(2026, 9, 1))), "serious_breach"),
    # A breach judged before the period no longer blocks.
    ((("breach", date(2025, 1, 1)),), None),
])
def test_latest_fulfilment_assessment_decides(results, code):
    facts = CreditFacts(assessments=tuple(
        AssessmentFact(on, result, "依据", "市民政局", n) for n, (result, on) in enumerate(results)))
    assert codes(facts) == ([code] if code else [])


def test_same_day_assessments_the_later_recorded_wins():
    a = AssessmentFact(date(2026, 5, 1), "breach", id=1)
    b = AssessmentFact(date(2026, 5, 1), "kept", id=2)
    assert latest_assessment([b, a]) is b


def test_most_serious_first_and_the_message_names_each():
    facts = CreditFacts(
        complaints=(ComplaintFact(TODAY - timedelta(days=3), "partly"),),
        penalties=(PenaltyFact(TODAY - timedelta(days=30), "测民罚〔2026〕9号"),),
        rectifications=(RectificationFact(date(2025, 1, 1), "overdue", date(2025, 2, 1)),),
        assessments=(AssessmentFact(TODAY - timedelta(days=5), "serious_breach"),),
    )
    found = blockers(facts, TODAY, YEAR)
    assert [b.code for b in found] == ["serious_breach", "rectification_overdue", "penalty",
                                       "complaint_partly"]
    message = refusal_message(found)
    for title in ("信用承诺严重违诺", "整改逾期未完成", "受到行政处罚", "投诉经核查部分属实"):
        assert title in message
    assert "测民罚〔2026〕9号" in message and "苏府办〔2021〕248号" in message


def test_every_blocker_cites_its_seed():
    facts = CreditFacts(
        complaints=(ComplaintFact(TODAY, "substantiated"),),
        penalties=(PenaltyFact(TODAY, "罚1号"),),
        rectifications=(RectificationFact(date(2025, 1, 1), "overdue"),),
        assessments=(AssessmentFact(TODAY, "breach"),),
    )
    for b in blockers(facts, TODAY, YEAR):
        assert "〔2021〕" in b.rule, b.code


def test_lookback_must_be_positive():
    with pytest.raises(ValueError):
        blockers(CreditFacts(), TODAY, 0)
