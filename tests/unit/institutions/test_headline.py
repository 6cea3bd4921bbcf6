"""The institution page's headline box (portal/institutions/rules/headline.py, issue 21 items 2
and 3): what it says, and that a fact against the institution always comes before praise."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.institutions.rules.checks import compute_flags
from portal.institutions.rules.credit import (
    AssessmentFact,
    CreditFacts,
    PenaltyFact,
    RectificationFact,
    blockers,
)
from portal.institutions.rules.facts import (
    Facts,
    FeeFacts,
    GradeFacts,
    InspectionFacts,
    InstitutionFacts,
    monthly_totals,
)
from portal.institutions.rules.flags import flag
from portal.institutions.rules.headline import TONES, headline
from portal.institutions.rules.thresholds import DEFAULT_THRESHOLDS

TODAY = date(2026, 12, 1)
LOOKBACK = 365
HOME = InstitutionFacts(kind="residential", filing_status="filed", beds_total=100, beds_vacant=12)
NO_CREDIT = CreditFacts()
FIVE = GradeFacts(level=5, awarded_on=date(2023, 6, 1), valid_until=date(2028, 6, 1))


def make(facts: Facts, credit: CreditFacts = NO_CREDIT, *, red: bool = False,
         black: bool = False, flags=None, received: int = 0, rate: int | None = None):
    found = blockers(credit, TODAY, LOOKBACK)
    return headline(
        facts, compute_flags(facts, TODAY) if flags is None else flags, today=TODAY,
        grade_age="3 年前", totals=monthly_totals(facts.fees, TODAY), red_listed=red,
        blockers=found, assessment=None, lookback_days=LOOKBACK, complaints_received=received,
        complaints_on_time_rate=rate, black_listed=black)


def tones(h) -> list[str]:
    return [s.tone for s in h.signals]


def codes(h) -> list[str]:
    return [s.code for s in h.signals]


def test_red_listed_five_star_home_leads_with_its_overdue_rectification():
    """Item 3: "a red-listed, 五级 home shows 整改逾期 666 天 lower on the same page with no
    hint at the top"."""
    deadline = TODAY - timedelta(days=666)
    inspected = deadline - timedelta(days=30)
    facts = Facts(HOME, grade=FIVE, inspections=(
        InspectionFacts(inspected, deadline, "pending", "示范区民政局", "消防通道堵塞",
                        "rectification_required"),))
    credit = CreditFacts(rectifications=(
        RectificationFact(inspected, "pending", deadline, "示范区民政局"),))
    h = make(facts, credit, red=True)
    texts = [s.text for s in h.signals]
    assert texts[0] == "在红名单上，但存在不应列入的情形"
    assert "整改逾期 666 天" in texts
    assert texts.index("整改逾期 666 天") < texts.index("五级养老机构")
    # The red list is not praised while a blocker stands (苏府办〔2021〕248号 三（四）).
    assert "red_list" not in codes(h)
    # One rectification, said once: the flag, not the blocker of the same inspection again.
    assert codes(h).count("rectification_overdue") == 1
    assert h.first_negative is not None and h.first_negative.tone == "serious"
    assert h.last_inspection is not None and h.last_inspection.tone == "serious"
    assert h.last_inspection.rectification == "逾期未整改"
    assert h.last_inspection.outcome == "发现问题，责令限期整改"


def test_signals_are_ordered_by_severity_whatever_order_they_come_in():
    t = DEFAULT_THRESHOLDS
    flags = [
        flag("over_capacity", t, "在住老人 120 人"),
        flag("video_coverage", t, "未全覆盖"),
        flag("fire_drill_overdue", t, "逾期"),
        flag("emergency_drill_overdue", t, "逾期"),
    ]
    credit = CreditFacts(penalties=(PenaltyFact(TODAY - timedelta(days=30), "示民罚〔2026〕3号"),),
                         assessments=(AssessmentFact(TODAY - timedelta(days=10), "breach"),))
    h = make(Facts(HOME, grade=FIVE), credit, flags=flags, black=True)
    order = [TONES.index(tone) for tone in tones(h)]
    assert order == sorted(order)
    assert tones(h)[-1] == "good" and codes(h)[-1] == "grade"
    # Item 3's facts first among the serious: the black list, then the penalty.
    assert codes(h)[:3] == ["black_list", "penalty", "fire_drill_overdue"]
    assert h.unlisted == {"info": 1}  # notes are counted, not listed


def test_praise_never_comes_before_any_negative_fact():
    t = DEFAULT_THRESHOLDS
    for code in ("video_coverage", "gb38600", "over_capacity"):
        h = make(Facts(HOME, grade=FIVE), red=False, flags=[flag(code, t, "x")])
        listed = list(h.signals)
        negatives = [i for i, s in enumerate(listed) if s.tone != "good"]
        good = [i for i, s in enumerate(listed) if s.tone == "good"]
        assert not negatives or not good or max(negatives) < min(good), code


def test_a_clean_red_listed_five_star_home_is_praised():
    assessment = AssessmentFact(TODAY - timedelta(days=20), "kept", department="示范市民政局")
    h = headline(Facts(HOME, grade=FIVE), [], today=TODAY, grade_age="3 年前", totals={},
                 red_listed=True, blockers=[], assessment=assessment, lookback_days=LOOKBACK,
                 complaints_received=4, complaints_on_time_rate=100)
    assert codes(h) == ["grade", "red_list", "kept"]
    assert h.first_negative is None
    assert h.penalties == "近 365 天内无行政处罚" and h.penalty_tone is None
    assert (h.grade, h.grade_age, h.grade_expired) == ("五级", "3 年前", False)
    assert (h.beds_vacant, h.beds_total) == (12, 100)
    assert (h.complaints_received, h.complaints_on_time_rate) == (4, 100)


def test_penalty_in_the_period_is_a_serious_signal_and_fills_the_penalty_row():
    credit = CreditFacts(penalties=(PenaltyFact(TODAY - timedelta(days=100), "示民罚〔2026〕7号"),
                                    PenaltyFact(TODAY - timedelta(days=LOOKBACK + 1), "旧")))
    h = make(Facts(HOME, grade=FIVE), credit)
    assert codes(h) == ["penalty", "grade"]
    assert h.signals[0].text == "近 365 天内受到行政处罚" and h.signals[0].anchor == "h-pen"
    assert "示民罚〔2026〕7号" in h.penalties and "旧" not in h.penalties
    assert h.penalty_tone == "serious"


def test_an_expired_grade_is_not_praised():
    expired = GradeFacts(level=5, awarded_on=date(2020, 1, 1), valid_until=date(2025, 1, 1))
    h = make(Facts(HOME, grade=expired))
    assert "grade" not in codes(h)
    assert h.grade_expired and h.grade == "五级"
    assert codes(h) == ["grade_expired"]


def test_more_than_three_warnings_are_counted_not_listed():
    t = DEFAULT_THRESHOLDS
    flags = [flag(c, t, "x") for c in ("video_coverage", "video_retention", "prepaid_fees",
                                       "emergency_drill_overdue", "open_day_overdue")]
    h = make(Facts(HOME), flags=flags)
    assert tones(h) == ["warning"] * 3
    assert h.unlisted == {"warning": 2}
    assert h.flags_total == 5


@pytest.mark.parametrize(("status", "tone"), [("unregistered", "serious"),
                                              ("registered_unfiled", "warning"),
                                              ("filed", None)])
def test_filing_status_and_its_tone(status, tone):
    facts = Facts(InstitutionFacts(kind="residential", filing_status=status))
    h = make(facts)
    assert h.filing_tone == tone
    if tone == "serious":
        assert codes(h)[0] == "unregistered"


def test_fee_range_last_inspection_and_no_records():
    fees = (FeeFacts("床位费（单人间）", Decimal("2000")), FeeFacts("床位费（双人间）", Decimal("1500")),
            FeeFacts("护理费", Decimal("1200")))
    older = InspectionFacts(date(2025, 1, 1), None, "none_required", "甲", "", "no_findings")
    newer = InspectionFacts(date(2026, 9, 1), TODAY + timedelta(days=10), "pending", "乙", "x",
                            "rectification_required")
    h = make(Facts(HOME, fees=fees, inspections=(older, newer)))
    assert (h.fee_low, h.fee_high) == (Decimal("2700.00"), Decimal("3200.00"))
    li = h.last_inspection
    assert li is not None and (li.day, li.department, li.rectification, li.tone) == (
        date(2026, 9, 1), "乙", "整改中", "warning")
    bare = make(Facts(HOME))
    assert bare.last_inspection is None and bare.fee_low is None and bare.grade == ""


@pytest.mark.parametrize(("status", "tone"), [("suspended", "serious"), ("closed", "serious"),
                                              ("preparing", "info")])
def test_a_home_not_operating_says_so_first(status, tone):
    """A suspended or closed home leads the headline, before praise and before every other
    serious fact (苏府办〔2021〕248号 二(九)); 筹建 is only a note."""
    h = headline(Facts(HOME, grade=FIVE), [], today=TODAY, grade_age="3 年前", totals={},
                 red_listed=False, blockers=[], assessment=None, lookback_days=LOOKBACK,
                 complaints_received=0, complaints_on_time_rate=None, black_listed=True,
                 operating_status=status)
    found = [(s.code, s.tone, s.anchor) for s in h.signals]
    if tone == "serious":
        assert found[0] == (status, "serious", "operating-status")
        assert codes(h)[1] == "black_list"
    else:
        assert status not in codes(h) and h.unlisted == {"info": 1}
    assert headline(Facts(HOME, grade=FIVE), [], today=TODAY, grade_age="", totals={},
                    red_listed=False, blockers=[], assessment=None, lookback_days=LOOKBACK,
                    complaints_received=0, complaints_on_time_rate=None).signals[0].code == "grade"
