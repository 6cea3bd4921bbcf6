"""Computed compliance flags and disclosure completeness: exact cases at every threshold."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.institutions.models import FeeItem, Grade, Inspection, Institution, ServiceResources
from portal.institutions.rules import checks, flags, thresholds
from portal.institutions.rules.checks import compute_flags
from portal.institutions.rules.completeness import DISCLOSURE_ITEMS, completeness
from portal.institutions.rules.facts import (
    Facts,
    FeeFacts,
    GradeFacts,
    InspectionFacts,
    InstitutionFacts,
    ResourceFacts,
    add_months,
    monthly_totals,
    yuan,
)
from portal.institutions.rules.flags import CATALOGUE
from portal.institutions.rules.thresholds import Thresholds

PROPERTY = settings(database=None, deadline=None)
TODAY = date(2025, 6, 30)


def d(text: str) -> date:
    return date.fromisoformat(text)


def money(text: str) -> Decimal:
    return Decimal(text)


# A residential institution that passes every check and discloses everything; each test
# changes one thing.
GOOD_RESOURCES = ResourceFacts(
    caregivers=22,
    certified_caregivers=22,
    elders_severe=42,
    elders_mild=30,
    elders_self_care=25,
    video_coverage=True,
    video_retention_days=90,
    fire_approval_status="passed",
    fire_approval_doc_no="示住建消验字〔2019〕第0012号",
    fire_approval_date=d("2019-05-20"),
    fire_approval="消防验收合格",
    food_licence="JY33201000012345",
    last_fire_drill=d("2025-03-10"),
    last_emergency_drill=d("2024-11-20"),
)
# 床位费 1,500 + 护理费 800 (the only level) + 餐费 700 = 3,000.00 元 a month.
MONTHLY_3000 = (
    FeeFacts("床位费（双人间）", money("1500.00"), "月"),
    FeeFacts("护理费", money("800.00"), "月", "severe"),
    FeeFacts("餐费", money("700.00"), "月"),
    FeeFacts("一次性评估费", money("200.00"), "次"),
)
GOOD_INSTITUTION = InstitutionFacts(
    kind="residential",
    filing_status="filed",
    credit_code="91350100M000100Y43",
    registration_no="民证字第0001号",
    registration_date=d("2015-03-01"),
    filing_no="示民养备〔2019〕0001号",
    filing_date=d("2019-06-01"),
    address="示范区幸福路1号",
    street_id=1,
    legal_representative="王建国",
    phone="0571-88886666",
    opened_year=2015,
    beds_total=120,
    admits_self_care=True,
    admits_mild=True,
    admits_severe=True,
    deposit_amount=money("9000.00"),
    deposit_dedicated_account=True,
    deposit_bank="示范农商银行幸福路支行",
)
GOOD = Facts(
    institution=GOOD_INSTITUTION,
    fees=MONTHLY_3000,
    resources=GOOD_RESOURCES,
    grade=GradeFacts(4, d("2023-05-01"), d("2026-04-30"), True, "示范市民政局"),
    inspections=(InspectionFacts(d("2025-01-10"), d("2025-02-10"), "done", "示范区民政局"),),
    rule_titles=("入院评估制度", "员工守则", "投诉处理和纠纷调解制度", "突发事件应急预案"),
    credit_commitment=True,
)


def with_inst(base: Facts = GOOD, **changes: object) -> Facts:
    return replace(base, institution=replace(base.institution, **changes))


def with_res(base: Facts = GOOD, **changes: object) -> Facts:
    assert base.resources is not None
    return replace(base, resources=replace(base.resources, **changes))


def codes(facts: Facts, today: date = TODAY, thresholds: Thresholds | None = None) -> list[str]:
    return [f.code for f in compute_flags(facts, today, thresholds or Thresholds())]


def only(facts: Facts, code: str, today: date = TODAY, thresholds: Thresholds | None = None):
    found = [f for f in compute_flags(facts, today, thresholds or Thresholds()) if f.code == code]
    assert len(found) == 1, found
    return found[0]


def test_the_reference_institution_raises_no_flag_and_is_complete():
    assert compute_flags(GOOD, TODAY) == []
    result = completeness(GOOD)
    assert result.missing == []
    assert result.present == result.total == 25
    assert result.percent == 100


# --- caregiver ratio ----------------------------------------------------------------------------

RATIO_CASES = [
    # name, severe, mild, self-care, caregivers, exact need, flag code (None: no flag)
    ("severe_42_needs_14_and_14_is_enough", 42, 0, 0, 14, "14.0", None),
    ("severe_42_with_13_is_one_short", 42, 0, 0, 13, "14.0", "caregiver_ratio"),
    ("severe_43_needs_14_and_a_third", 43, 0, 0, 14, "14.34", "caregiver_ratio_marginal"),
    ("severe_43_with_13_is_more_than_one_short", 43, 0, 0, 13, "14.34", "caregiver_ratio"),
    ("severe_3_needs_1", 3, 0, 0, 1, "1.0", None),
    ("mild_6_needs_1", 0, 6, 0, 1, "1.0", None),
    ("mild_7_is_a_sixth_short", 0, 7, 0, 1, "1.17", "caregiver_ratio_marginal"),
    ("self_care_10_needs_1", 0, 0, 10, 1, "1.0", None),
    ("self_care_11_is_a_tenth_short", 0, 0, 11, 1, "1.1", "caregiver_ratio_marginal"),
    # The issue's case (/institutions/38, /148): 6/3 + 9/6 + 15/10 = 5.0 exactly.
    ("issue_6_9_15_needs_exactly_5", 6, 9, 15, 5, "5.0", None),
    ("issue_6_9_15_with_4_is_one_short", 6, 9, 15, 4, "5.0", "caregiver_ratio"),
    ("levels_are_added_before_rounding", 1, 1, 1, 1, "0.6", None),
    ("levels_added_none_present", 1, 1, 1, 0, "0.6", "caregiver_ratio_marginal"),
    ("mixed_42_30_25_needs_21_5", 42, 30, 25, 22, "21.5", None),
    ("mixed_42_30_25_with_21_is_half_short", 42, 30, 25, 21, "21.5", "caregiver_ratio_marginal"),
    ("mixed_42_30_25_with_20_is_serious", 42, 30, 25, 20, "21.5", "caregiver_ratio"),
    ("zero_elders_need_no_caregivers", 0, 0, 0, 0, "0.0", None),
    ("extra_caregivers_are_fine", 42, 0, 0, 40, "14.0", None),
]
RATIO_CODES = ("caregiver_ratio", "caregiver_ratio_marginal")


@pytest.mark.parametrize(
    ("severe", "mild", "self_care", "caregivers", "need", "code"),
    [case[1:] for case in RATIO_CASES],
    ids=[case[0] for case in RATIO_CASES],
)
def test_caregiver_ratio_adds_the_exact_need_before_comparing(
    severe, mild, self_care, caregivers, need, code
):
    facts = with_res(
        elders_severe=severe, elders_mild=mild, elders_self_care=self_care, caregivers=caregivers
    )
    flags = [f for f in compute_flags(facts, TODAY) if f.code in RATIO_CODES]
    assert [f.code for f in flags] == ([code] if code else [])
    # The need, counted by hand above, is the exact sum of elders / ratio per level.
    exact = Fraction(severe, 3) + Fraction(mild, 6) + Fraction(self_care, 10)
    assert sum(checks.caregivers_required(facts.resources, Thresholds()).values()) == exact
    assert checks.people(exact) == need
    if code:
        flag = flags[0]
        assert flag.severity == ("serious" if code == "caregiver_ratio" else "warning")
        assert flag.numbers["required_exact"] == need
        assert flag.numbers["caregivers"] == caregivers
        assert f"{need} 人，现有 {caregivers} 人，缺 " in flag.detail


def test_the_issue_example_is_no_longer_serious_and_one_short_is():
    # 6 / 9 / 15 elders need exactly 5.0 caregivers: 5 is enough (was "⛔严重 护理员配比不足").
    facts = with_res(elders_severe=6, elders_mild=9, elders_self_care=15, caregivers=5)
    assert not {"caregiver_ratio", "caregiver_ratio_marginal"} & set(codes(facts))
    flag = only(with_res(facts, caregivers=4), "caregiver_ratio")
    assert flag.severity == "serious"
    assert flag.detail == (
        "中重度失能老人 6 人（需 2.0 人）、轻度失能老人 9 人（需 1.5 人）、自理老人 15 人（需 1.5 人），"
        "合计需护理员 5.0 人，现有 4 人，缺 1.0 人"
    )


def test_caregiver_message_for_one_level_reads_like_the_issue():
    flag = only(
        with_res(elders_severe=42, elders_mild=0, elders_self_care=0, caregivers=9),
        "caregiver_ratio",
    )
    assert flag.text == "护理员配比不足：中重度失能老人 42 人，需护理员 14.0 人，现有 9 人，缺 5.0 人"
    # The page cites the seed with its clause, and says how "原则上" is read.
    assert flag.rule == (
        "护理员与老人配比原则上不低于：中重度失能 1:3、轻度失能 1:6、自理 1:10"
        "（昆明市昆政办〔2021〕70号（三）从业人员监管）；本平台按各档老人数折算所需护理员（不逐档取整）"
        "相加后与现有人数比较，缺口不足 1 人为警示，1 人及以上为严重"
    )
    assert flag.numbers == {
        "caregivers": 9,
        "required": 14,
        "required_exact": "14.0",
        "shortfall": "5.0",
        "elders_severe": 42,
        "elders_mild": 0,
        "elders_self_care": 0,
        "required_severe": "14.0",
        "required_mild": "0.0",
        "required_self_care": "0.0",
    }


def test_a_shortfall_under_one_caregiver_is_a_warning():
    flag = only(with_res(caregivers=21), "caregiver_ratio_marginal")
    assert (flag.severity, flag.title) == ("warning", "护理员配比略有不足")
    assert flag.detail == (
        "中重度失能老人 42 人（需 14.0 人）、轻度失能老人 30 人（需 5.0 人）、自理老人 25 人（需 2.5 人），"
        "合计需护理员 21.5 人，现有 21 人，缺 0.5 人"
    )
    assert flag.numbers["required"] == 22  # whole caregivers


def test_caregiver_message_for_mixed_levels_lists_each_level():
    flag = only(with_res(caregivers=18), "caregiver_ratio")
    assert flag.detail == (
        "中重度失能老人 42 人（需 14.0 人）、轻度失能老人 30 人（需 5.0 人）、自理老人 25 人（需 2.5 人），"
        "合计需护理员 21.5 人，现有 18 人，缺 3.5 人"
    )


def test_caregiver_ratio_follows_configured_thresholds():
    strict = Thresholds(severe_per_caregiver=2)
    facts = with_res(elders_severe=42, elders_mild=0, elders_self_care=0, caregivers=14)
    assert "caregiver_ratio" not in codes(facts)
    flag = only(facts, "caregiver_ratio", thresholds=strict)
    assert "需护理员 21.0 人" in flag.detail
    assert "中重度失能 1:2" in flag.rule


@pytest.mark.parametrize("kind", ["community", "assessment", "training"])
def test_caregiver_ratio_applies_only_to_residential_institutions(kind):
    facts = with_res(with_inst(kind=kind), caregivers=0, certified_caregivers=0)
    assert "caregiver_ratio" not in codes(facts)


def test_no_resources_disclosed_means_no_ratio_flag_but_an_incomplete_disclosure():
    facts = replace(GOOD, resources=None)
    assert "caregiver_ratio" not in codes(facts)
    assert "服务资源（人员配备、在住老人）" in completeness(facts).missing


@pytest.mark.parametrize(
    ("kind", "caregivers", "certified", "flagged"),
    [
        ("community", 8, 5, True),
        ("community", 8, 8, False),
        ("community", 0, 0, False),
        ("residential", 22, 5, False),
    ],
    ids=[
        "community_3_uncertified",
        "community_all_certified",
        "community_no_staff",
        "residential_not_required",
    ],
)
def test_community_staff_must_hold_certificates(kind, caregivers, certified, flagged):
    facts = with_res(with_inst(kind=kind), caregivers=caregivers, certified_caregivers=certified)
    assert ("uncertified_staff" in codes(facts)) == flagged
    if flagged:
        assert (
            only(facts, "uncertified_staff").detail
            == "护理员 8 人，持初级以上证书 5 人，未持证 3 人"
        )


@PROPERTY
@given(
    severe=st.integers(0, 500),
    mild=st.integers(0, 500),
    self_care=st.integers(0, 500),
    caregivers=st.integers(0, 400),
    extra=st.integers(1, 100),
    ratios=st.tuples(st.integers(1, 12), st.integers(1, 12), st.integers(1, 20)),
)
def test_adding_caregivers_never_adds_a_ratio_flag(
    severe, mild, self_care, caregivers, extra, ratios
):
    t = Thresholds(
        severe_per_caregiver=ratios[0],
        mild_per_caregiver=ratios[1],
        self_care_per_caregiver=ratios[2],
    )
    base = with_res(
        elders_severe=severe, elders_mild=mild, elders_self_care=self_care, caregivers=caregivers
    )
    more = with_res(base, caregivers=caregivers + extra)
    ratio_codes = {"caregiver_ratio", "caregiver_ratio_marginal"}
    before = set(codes(base, thresholds=t)) & ratio_codes
    after = set(codes(more, thresholds=t)) & ratio_codes
    assert before or not after
    assert "caregiver_ratio" in before or "caregiver_ratio" not in after
    # And the flags are exactly: serious when one caregiver or more is missing from the exact
    # (unrounded) need, a warning when less than one is (seed 002: 原则上).
    need = Fraction(severe, ratios[0]) + Fraction(mild, ratios[1]) + Fraction(self_care, ratios[2])
    shortfall = need - caregivers
    expected = ({"caregiver_ratio"} if shortfall >= 1
                else {"caregiver_ratio_marginal"} if shortfall > 0 else set())
    assert before == expected


# --- monthly fee --------------------------------------------------------------------------------


def fee(item, price, cycle="月", level=None, start=None, end=None):
    return FeeFacts(item, money(price), cycle, level, effective_from=start, effective_to=end)


# fmt: off
MONTHLY_CASES = [
    ("bed_care_meals_add_up", MONTHLY_3000, {"severe": ("3000.00", "3000.00")}),
    ("room_types_are_alternatives",
     (fee("床位费（双人间）", "1500"), fee("床位费（单人间）", "2500"), fee("餐费", "700")),
     {None: ("2200.00", "3200.00")}),
    ("care_fee_per_level",
     (fee("床位费", "1500"), fee("护理费", "800", level="self_care"),
      fee("护理费", "2000", level="severe"), fee("餐费", "700")),
     {"self_care": ("3000.00", "3000.00"), "severe": ("4200.00", "4200.00")}),
    ("level_rows_replace_the_shared_row_which_stays_for_other_levels",
     (fee("床位费", "1500"), fee("护理费", "500"), fee("护理费（专护）", "2000", level="severe")),
     {"severe": ("3500.00", "3500.00"), None: ("2000.00", "2000.00")}),
    ("quarterly_and_yearly_fees_are_divided_into_months",
     (fee("床位费", "4500", "季"), fee("护理费", "12000", "年"), fee("餐费", "3600", "半年")),
     {None: ("3100.00", "3100.00")}),
    ("per_use_fees_are_not_monthly",
     (fee("床位费", "1500"), fee("评估费", "300", "次"), fee("助餐", "15", "餐")),
     {None: ("1500.00", "1500.00")}),
    ("closed_and_future_rows_are_ignored",
     (fee("床位费", "1200", end=d("2025-06-29")), fee("床位费", "1500", start=d("2025-06-30")),
      fee("床位费", "1800", start=d("2025-07-01"))),
     {None: ("1500.00", "1500.00")}),
    ("no_recurring_fees", (fee("评估费", "300", "次"),), {}),
]
# fmt: on


@pytest.mark.parametrize(
    ("fees", "expected"), [c[1:] for c in MONTHLY_CASES], ids=[c[0] for c in MONTHLY_CASES]
)
def test_monthly_totals(fees, expected):
    totals = monthly_totals(fees, TODAY)
    assert {k: (str(v.low), str(v.high)) for k, v in totals.items()} == expected


# --- deposit and fee cycles ---------------------------------------------------------------------

# fmt: off
DEPOSIT_CASES = [
    # name, amount, dedicated account, expected codes
    ("exactly_three_months_is_allowed", "9000.00", True, []),
    ("one_fen_over_three_months_is_flagged", "9000.01", True, ["deposit_over_cap"]),
    ("no_dedicated_account", "5000.00", False, ["deposit_not_dedicated"]),
    ("over_and_no_dedicated_account", "9000.01", False, ["deposit_not_dedicated", "deposit_over_cap"]),
    ("zero_deposit_needs_no_account", "0", False, []),
]
# fmt: on


@pytest.mark.parametrize(
    ("amount", "dedicated", "expected"),
    [c[1:] for c in DEPOSIT_CASES],
    ids=[c[0] for c in DEPOSIT_CASES],
)
def test_deposit_cap_and_dedicated_account(amount, dedicated, expected):
    facts = with_inst(deposit_amount=money(amount), deposit_dedicated_account=dedicated)
    assert codes(facts) == expected


def test_deposit_over_cap_message_shows_the_arithmetic():
    flag = only(with_inst(deposit_amount=money("9000.01")), "deposit_over_cap")
    assert flag.severity == "serious"
    assert flag.text == (
        "押金超过上限：押金 9,000.01 元，超过月服务费用 3,000.00 元的 3 倍（9,000.00 元），"
        "多收 0.01 元"
    )
    assert (
        flag.rule
        == "押金、保证金不得超过老年人月服务费用的 3 倍，并建立专用账户存储（昆明市昆政办〔2021〕70号）"
    )
    assert flag.numbers["deposit"] == "9000.01"
    assert flag.numbers["cap_high"] == "9000.00"


def test_deposit_not_in_dedicated_account_message():
    flag = only(
        with_inst(deposit_amount=money("5000"), deposit_dedicated_account=False),
        "deposit_not_dedicated",
    )
    assert flag.text == "押金未专户存储：收取押金 5,000.00 元，未存入专用账户"


ROOM_RANGE = (
    fee("床位费（双人间）", "1500"),
    fee("床位费（单人间）", "2500"),
    fee("护理费", "800"),
    fee("餐费", "700"),
)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("9000.00", []),
        ("9000.01", ["deposit_may_exceed_cap"]),
        ("12000.00", ["deposit_may_exceed_cap"]),
        ("12000.01", ["deposit_over_cap"]),
    ],
    ids=[
        "within_cheapest_room_cap",
        "over_cheapest_room_cap",
        "at_dearest_room_cap",
        "over_dearest_room_cap",
    ],
)
def test_deposit_between_cheapest_and_dearest_monthly_fee_is_a_warning(amount, expected):
    facts = replace(with_inst(deposit_amount=money(amount)), fees=ROOM_RANGE)
    assert codes(facts) == expected


def test_deposit_may_exceed_message_names_both_caps():
    facts = replace(with_inst(deposit_amount=money("10000")), fees=ROOM_RANGE)
    flag = only(facts, "deposit_may_exceed_cap")
    assert flag.severity == "warning"
    assert flag.detail == (
        "押金 10,000.00 元，超过最低月服务费用 3,000.00 元的 3 倍（9,000.00 元）；"
        "按最高月服务费用 4,000.00 元计上限为 12,000.00 元"
    )


def test_deposit_without_a_monthly_fee_cannot_be_checked():
    facts = replace(with_inst(deposit_amount=money("5000")), fees=(fee("评估费", "300", "次"),))
    flag = only(facts, "deposit_unverifiable")
    assert flag.severity == "info"
    assert flag.detail == "收取押金 5,000.00 元，但未公开按月收取的服务费用"


def test_deposit_cap_follows_configured_months():
    t = Thresholds(deposit_max_months=Decimal("2.5"))
    assert codes(with_inst(deposit_amount=money("7500.00")), thresholds=t) == []
    flag = only(with_inst(deposit_amount=money("7500.01")), "deposit_over_cap", thresholds=t)
    assert "2.5 倍（7,500.00 元）" in flag.detail
    assert "月服务费用的 2.5 倍" in flag.rule


@pytest.mark.parametrize(
    ("kind", "flagged"),
    [("residential", True), ("community", True), ("assessment", False), ("training", False)],
)
def test_deposit_rules_apply_to_care_services(kind, flagged):
    facts = with_inst(kind=kind, deposit_amount=money("20000"))
    assert ("deposit_over_cap" in codes(facts)) == flagged


def test_undisclosed_deposit_is_missing_not_flagged():
    facts = with_inst(deposit_amount=None)
    assert codes(facts) == []
    assert completeness(facts).missing == ["押金（保证金）收取说明"]


def test_fees_charged_by_quarter_are_flagged():
    facts = replace(GOOD, fees=(*MONTHLY_3000, fee("床位费（单人间）", "7500.00", "季")))
    flag = only(facts, "prepaid_fees")
    assert flag.detail == "床位费（单人间）按季收取 7,500.00 元"
    assert flag.numbers == {"items": ["床位费（单人间）"]}


@PROPERTY
@given(cents=st.integers(0, 10_000_000), extra=st.integers(1, 1_000_000))
def test_raising_the_deposit_never_clears_the_over_cap_flag(cents, extra):
    low = with_inst(deposit_amount=Decimal(cents) / 100)
    high = with_inst(deposit_amount=Decimal(cents + extra) / 100)
    assert "deposit_over_cap" not in codes(low) or "deposit_over_cap" in codes(high)
    assert ("deposit_over_cap" in codes(low)) == (cents > 900_000)


# --- video --------------------------------------------------------------------------------------

VIDEO_CASES = [
    # name, coverage, days, threshold, expected
    ("fourteen_days_is_short_of_fifteen", True, 14, 15, ["video_retention"]),
    ("fifteen_days_meets_fifteen", True, 15, 15, []),
    ("kunming_89_days_is_short_of_90", True, 89, 90, ["video_retention"]),
    ("kunming_90_days_meets_90", True, 90, 90, []),
    ("no_coverage_is_flagged_once", False, 0, 15, ["video_coverage"]),
]


@pytest.mark.parametrize(
    ("coverage", "days", "threshold", "expected"),
    [c[1:] for c in VIDEO_CASES],
    ids=[c[0] for c in VIDEO_CASES],
)
def test_video_surveillance(coverage, days, threshold, expected):
    facts = with_res(video_coverage=coverage, video_retention_days=days)
    assert codes(facts, thresholds=Thresholds(video_retention_days=threshold)) == expected


def test_video_retention_message_and_rule_use_the_configured_source():
    t = Thresholds.from_mapping(
        {"video_retention_days": "90", "video_retention_source": thresholds.KUNMING}
    )
    flag = only(with_res(video_retention_days=30), "video_retention", thresholds=t)
    assert flag.text == "视频监控保存时间不足：视频监控记录保存 30 天，要求不少于 90 天"
    assert flag.rule == "视频监控记录保存时间不少于 90 天（昆明市昆政办〔2021〕70号）"
    assert flag.numbers == {"retention_days": 30, "required_days": 90}


def test_default_video_rule_cites_the_fifteen_day_seed():
    flag = only(with_res(video_retention_days=7), "video_retention")
    assert (
        flag.rule
        == "视频监控记录保存时间不少于 15 天（株洲市养老服务综合监管实施方案（征求意见稿））"
    )


# --- drills -------------------------------------------------------------------------------------

ADD_MONTHS_CASES = [
    ("2024-01-15", 6, "2024-07-15"),
    ("2024-08-31", 6, "2025-02-28"),
    ("2023-08-31", 6, "2024-02-29"),
    ("2024-02-29", 12, "2025-02-28"),
    ("2024-07-31", 6, "2025-01-31"),
    ("2024-12-31", 12, "2025-12-31"),
]


@pytest.mark.parametrize(("start", "months", "expected"), ADD_MONTHS_CASES)
def test_add_months_counts_calendar_months_clamped_to_month_end(start, months, expected):
    assert add_months(d(start), months) == d(expected)


# fmt: off
DRILL_CASES = [
    # name, field, last drill, today, expected codes
    ("fire_drill_exactly_six_months_ago_is_on_time", "last_fire_drill", "2024-01-15", "2024-07-15", []),
    ("fire_drill_six_months_and_a_day_is_overdue", "last_fire_drill", "2024-01-15", "2024-07-16", ["fire_drill_overdue"]),
    ("fire_drill_from_august_31_due_february_28", "last_fire_drill", "2024-08-31", "2025-02-28", []),
    ("fire_drill_from_august_31_overdue_march_1", "last_fire_drill", "2024-08-31", "2025-03-01", ["fire_drill_overdue"]),
    ("emergency_drill_exactly_a_year_ago_is_on_time", "last_emergency_drill", "2024-03-01", "2025-03-01", []),
    ("emergency_drill_a_year_and_a_day_is_overdue", "last_emergency_drill", "2024-03-01", "2025-03-02", ["emergency_drill_overdue"]),
    ("emergency_drill_on_leap_day_due_february_28", "last_emergency_drill", "2024-02-29", "2025-03-01", ["emergency_drill_overdue"]),
    ("no_fire_drill_recorded", "last_fire_drill", None, "2024-07-15", ["fire_drill_missing"]),
    ("no_emergency_drill_recorded", "last_emergency_drill", None, "2024-07-15", ["emergency_drill_missing"]),
]
# fmt: on


@pytest.mark.parametrize(
    ("field", "last", "today", "expected"),
    [c[1:] for c in DRILL_CASES],
    ids=[c[0] for c in DRILL_CASES],
)
def test_drills(field, last, today, expected):
    on = d(today)
    # The other drill is always recent, so only the one under test can flag.
    facts = with_res(last_fire_drill=on, last_emergency_drill=on)
    facts = with_res(facts, **{field: d(last) if last else None})
    assert codes(facts, on) == expected


def test_fire_drill_overdue_message_and_rule():
    facts = with_res(last_fire_drill=d("2024-01-15"), last_emergency_drill=d("2024-07-01"))
    flag = only(facts, "fire_drill_overdue", d("2024-07-16"))
    assert flag.severity == "serious"
    assert (
        flag.text
        == "消防演练逾期：最近一次消防演练在2024年1月15日，应在2024年7月15日前再次开展，已逾期 1 天"
    )
    assert flag.rule == "养老服务机构每半年至少开展 1 次消防演练（苏州市苏府办〔2021〕248号）"
    assert flag.numbers == {
        "last": "2024-01-15",
        "due": "2024-07-15",
        "days_overdue": 1,
        "months": 6,
    }


def test_missing_emergency_drill_is_a_warning_citing_the_yearly_rule():
    flag = only(with_res(last_emergency_drill=None), "emergency_drill_missing")
    assert flag.severity == "warning"
    assert flag.detail == "未公开任何应急演练日期，要求每年至少 1 次"
    assert flag.rule.startswith("养老服务机构每年至少开展 1 次应急演练（株洲市")


@pytest.mark.parametrize("kind", ["assessment", "training"])
def test_drill_video_and_fire_rules_do_not_apply_to_assessment_or_training(kind):
    facts = with_res(
        with_inst(kind=kind, deposit_amount=None),
        video_coverage=False,
        last_fire_drill=None,
        last_emergency_drill=None,
        fire_approval_status="failed",
    )
    assert codes(facts) == []


# --- fire approval ------------------------------------------------------------------------------


FIRE_CASES = [
    # name, status, note, flag code (None: no flag), severity
    ("passed_raises_nothing", "passed", "消防验收合格", None, None),
    ("failed_is_serious", "failed", "", "fire_approval", "serious"),
    ("in_progress_is_a_warning", "in_progress", "", "fire_approval_in_progress", "warning"),
    ("none_published_is_a_warning", None, "", "fire_approval_undisclosed", "warning"),
    # The issue's case: the old word filter read these as passed.
    ("text_without_status_is_not_passed", None, "无消防手续", "fire_approval_undisclosed",
     "warning"),
    ("not_required_is_no_answer_for_a_residential_home", "not_required", "上门服务",
     "fire_approval_undisclosed", "warning"),
]


@pytest.mark.parametrize(
    ("status", "note", "code", "severity"),
    [case[1:] for case in FIRE_CASES],
    ids=[case[0] for case in FIRE_CASES],
)
def test_fire_approval_flag_reads_the_status_not_the_text(status, note, code, severity):
    facts = with_res(fire_approval_status=status, fire_approval=note)
    flags = [f for f in compute_flags(facts, TODAY) if f.code.startswith("fire_approval")]
    assert [(f.code, f.severity) for f in flags] == ([(code, severity)] if code else [])
    for flag in flags:
        assert "苏州市苏府办〔2021〕248号 任务分解表第 4 项" in flag.rule
        assert "（二）继续解决消防审验突出问题，评估表 4.9" in flag.rule


@pytest.mark.parametrize("text", ["无", "无消防手续", "办理中", "没有通过", "已通过消防验收"])
def test_any_text_in_the_note_is_not_read_as_a_status(text):
    # Before: "无", "无消防手续", "办理中", "没有通过" counted as passed and raised nothing.
    facts = with_res(fire_approval_status=None, fire_approval=text)
    flag = only(facts, "fire_approval_undisclosed")
    assert flag.detail == f"未按规定公开消防审验状态（原填写“{text}”）"


def test_failed_fire_approval_shows_its_date_and_note():
    flag = only(
        with_res(fire_approval_status="failed", fire_approval_date=d("2025-03-02"),
                 fire_approval="整改中"),
        "fire_approval",
    )
    assert flag.detail == "公开的消防审验状态为“未通过”（2025年3月2日），说明：整改中"
    assert flag.numbers == {"status": "failed", "date": "2025-03-02"}


def test_in_progress_fire_approval_shows_when_it_was_applied_for():
    flag = only(
        with_res(fire_approval_status="in_progress", fire_approval_date=d("2025-05-06"),
                 fire_approval=""),
        "fire_approval_in_progress",
    )
    assert flag.detail == "消防审验手续正在办理，2025年5月6日申请，尚未取得合格手续"


def test_community_service_point_may_need_no_fire_approval():
    facts = with_res(with_inst(kind="community"), fire_approval_status="not_required",
                     fire_approval="只提供上门服务")
    assert not [c for c in codes(facts) if c.startswith("fire_approval")]
    assert "消防审验情况" not in completeness(facts).missing


def test_missing_fire_approval_status_is_incomplete_even_with_text():
    for facts in (with_res(fire_approval_status=None, fire_approval=""),
                  with_res(fire_approval_status=None, fire_approval="已通过消防验收")):
        assert completeness(facts).missing == ["消防审验情况"]


# --- rectification ------------------------------------------------------------------------------

# fmt: off
RECTIFICATION_CASES = [
    # name, deadline, status, flagged, days overdue (today is 2025-06-30)
    ("deadline_yesterday_pending_is_overdue", "2025-06-29", "pending", True, 1),
    ("deadline_today_is_not_yet_overdue", "2025-06-30", "pending", False, 0),
    ("deadline_passed_but_done", "2025-05-01", "done", False, 0),
    ("none_required_ignores_a_stray_deadline", "2025-05-01", "none_required", False, 0),
    ("recorded_overdue_with_deadline_passed", "2025-05-31", "overdue", True, 30),
    ("recorded_overdue_is_trusted_before_the_deadline", "2025-07-31", "overdue", True, 0),
    ("pending_without_deadline_is_not_overdue", None, "pending", False, 0),
]
# fmt: on


@pytest.mark.parametrize(
    ("deadline", "status", "flagged", "days"),
    [c[1:] for c in RECTIFICATION_CASES],
    ids=[c[0] for c in RECTIFICATION_CASES],
)
def test_overdue_rectification(deadline, status, flagged, days):
    insp = InspectionFacts(
        d("2025-04-01"), d(deadline) if deadline else None, status, "示范区消防救援大队"
    )
    flags = [
        f
        for f in compute_flags(replace(GOOD, inspections=(insp,)), TODAY)
        if f.code == "rectification_overdue"
    ]
    assert bool(flags) == flagged
    if flagged:
        assert flags[0].numbers["days_overdue"] == days


def test_overdue_rectification_message():
    insp = InspectionFacts(d("2025-04-01"), d("2025-05-31"), "pending", "示范区消防救援大队")
    flag = only(replace(GOOD, inspections=(insp,)), "rectification_overdue")
    assert flag.severity == "serious"
    assert flag.text == (
        "整改逾期：2025年4月1日检查（示范区消防救援大队）发现的问题，整改期限为2025年5月31日，"
        "已逾期 30 天，状态：整改中"
    )


def test_each_overdue_inspection_is_its_own_flag_oldest_deadline_first():
    inspections = (
        InspectionFacts(d("2025-05-01"), d("2025-06-01"), "pending"),
        InspectionFacts(d("2025-01-01"), d("2025-02-01"), "overdue"),
        InspectionFacts(d("2025-03-01"), d("2025-04-01"), "done"),
    )
    flags = [
        f
        for f in compute_flags(replace(GOOD, inspections=inspections), TODAY)
        if f.code == "rectification_overdue"
    ]
    assert [f.numbers["deadline"] for f in flags] == ["2025-02-01", "2025-06-01"]
    assert (
        flags[1].detail
        == "2025年5月1日检查发现的问题，整改期限为2025年6月1日，已逾期 29 天，状态：整改中"
    )


# --- grade and GB 38600 -------------------------------------------------------------------------

# fmt: off
GRADE_CASES = [
    # name, valid until, GB 38600 met, kind, expected codes (today is 2025-06-30)
    ("valid_until_today_is_still_valid", "2025-06-30", True, "residential", []),
    ("valid_until_yesterday_is_expired", "2025-06-29", True, "residential", ["grade_expired"]),
    ("no_expiry_never_expires", None, True, "residential", []),
    ("gb38600_not_met_is_serious", "2026-01-01", False, "residential", ["gb38600"]),
    ("expired_and_gb38600_not_met", "2025-01-01", False, "residential", ["gb38600", "grade_expired"]),
    ("gb38600_is_for_residential_only", "2026-01-01", False, "community", []),
]
# fmt: on


@pytest.mark.parametrize(
    ("valid_until", "compliant", "kind", "expected"),
    [c[1:] for c in GRADE_CASES],
    ids=[c[0] for c in GRADE_CASES],
)
def test_grade(valid_until, compliant, kind, expected):
    grade = GradeFacts(4, d("2022-07-01"), d(valid_until) if valid_until else None, compliant)
    facts = replace(with_inst(kind=kind), grade=grade)
    assert codes(facts) == expected


def test_expired_grade_message():
    grade = GradeFacts(4, d("2021-07-01"), d("2024-06-30"), True)
    flag = only(replace(GOOD, grade=grade), "grade_expired")
    assert flag.severity == "warning"
    assert flag.detail == "四级（2021年7月1日评定）有效期至2024年6月30日，已过期 365 天"


# --- registration and consistency ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "expected"),
    [
        ("residential", "unregistered", ["unregistered"]),
        ("community", "unregistered", ["unregistered"]),
        ("residential", "registered_unfiled", ["unfiled"]),
        ("community", "registered_unfiled", []),
        ("residential", "filed", []),
    ],
)
def test_registration_and_filing(kind, status, expected):
    assert codes(with_inst(kind=kind, filing_status=status)) == expected


def test_more_elders_than_beds_and_unadmitted_levels_are_notes():
    facts = with_res(with_inst(beds_total=90, admits_severe=False), caregivers=30)
    flags = compute_flags(facts, TODAY)
    assert [(f.code, f.severity) for f in flags] == [
        ("over_capacity", "info"),
        ("admission_mismatch", "info"),
    ]
    assert flags[0].detail == "在住老人 97 人，公开的床位总数 90 张"
    assert flags[1].detail == "公开的收住对象不含中重度失能老人，但在住中重度失能老人 42 人"


def test_flags_are_ordered_serious_then_warning_then_info():
    facts = with_res(
        with_inst(beds_total=50, deposit_dedicated_account=False),
        video_retention_days=7,
        caregivers=30,
    )
    severities = [f.severity for f in compute_flags(facts, TODAY)]
    assert severities == sorted(severities, key=flags.SEVERITIES.index)
    assert severities[0] == "serious" and severities[-1] == "info"


def test_every_flag_code_raised_is_catalogued_with_title_and_severity():
    worst = Facts(
        institution=with_inst(
            beds_total=10, deposit_dedicated_account=False, deposit_amount=money("99999")
        ).institution,
        fees=(*MONTHLY_3000, fee("床位费（单人间）", "9000", "季")),
        resources=replace(
            GOOD_RESOURCES,
            caregivers=1,
            video_retention_days=1,
            fire_approval_status="failed",
            last_fire_drill=None,
        ),
        grade=GradeFacts(1, d("2020-01-01"), d("2023-01-01"), False),
        inspections=(InspectionFacts(d("2025-01-01"), d("2025-02-01"), "pending"),),
    )
    for flag in compute_flags(worst, TODAY):
        severity, title, _rule = CATALOGUE[flag.code]
        assert (flag.severity, flag.title) == (severity, title)
        assert flag.rule and "{" not in flag.rule
        assert flag.detail and not flag.detail.endswith("。")


# --- completeness -------------------------------------------------------------------------------

EMPTY_RESIDENTIAL = Facts(InstitutionFacts(kind="residential", filing_status="filed"))


def test_an_empty_residential_institution_misses_every_item():
    result = completeness(EMPTY_RESIDENTIAL)
    assert result.missing == [
        "统一社会信用代码",
        "登记证号及登记日期",
        "备案编号及备案日期",
        "地址",
        "所在街道（乡镇）",
        "法定代表人",
        "联系电话",
        "开业年份",
        "床位总数",
        "收住对象（自理/轻度失能/中重度失能）",
        "服务项目和收费标准",
        "押金（保证金）收取说明",
        "规章制度：入院评估制度",
        "规章制度：员工守则",
        "规章制度：投诉处理（纠纷调解）制度",
        "规章制度：突发事件应急预案",
        "服务资源（人员配备、在住老人）",
        "视频监控覆盖及保存天数",
        "消防审验情况",
        "食品经营许可",
        "消防演练记录",
        "应急演练记录",
        "等级评定及 GB 38600 达标情况",
        "信用承诺书",
    ]
    assert (result.present, result.total, result.percent) == (0, 24, 0)
    assert result.missing_keys[0] == "credit_code"


# fmt: off
COMPLETENESS_CASES = [
    # name, facts, missing labels
    ("missing_phone", with_inst(phone=" "), ["联系电话"]),
    ("missing_emergency_plan",
     replace(GOOD, rule_titles=("入院评估制度", "员工守则", "投诉处理制度")),
     ["规章制度：突发事件应急预案"]),
    ("rule_titles_matched_by_words",
     replace(GOOD, rule_titles=("老年人入住评估办法", "从业人员守则", "服务纠纷调解办法", "火灾应急预案")),
     []),
    ("dedicated_account_needs_a_bank", with_inst(deposit_bank=""), ["押金专用账户开户银行"]),
    ("no_account_claimed_needs_no_bank", with_inst(deposit_bank="", deposit_dedicated_account=False), []),
    ("filing_number_only_once_filed",
     with_inst(filing_status="registered_unfiled", filing_no="", filing_date=None), []),
    ("filed_without_filing_number", with_inst(filing_no=""), ["备案编号及备案日期"]),
    ("video_covered_without_retention_days", with_res(video_retention_days=0), ["视频监控覆盖及保存天数"]),
    ("no_video_at_all_is_disclosed_but_flagged", with_res(video_coverage=False, video_retention_days=0), []),
    ("no_grade", replace(GOOD, grade=None), ["等级评定及 GB 38600 达标情况"]),
    ("no_credit_commitment", replace(GOOD, credit_commitment=False), ["信用承诺书"]),
    ("residential_not_serving_food", with_res(with_inst(serves_food=False), food_licence=""), []),
]
# fmt: on


@pytest.mark.parametrize(
    ("facts", "missing"),
    [c[1:] for c in COMPLETENESS_CASES],
    ids=[c[0] for c in COMPLETENESS_CASES],
)
def test_completeness_lists_what_is_missing(facts, missing):
    result = completeness(facts)
    assert result.missing == missing
    assert result.present == result.total - len(missing)


def test_community_centre_is_not_asked_for_beds_deposit_grade_or_admission_rules():
    facts = Facts(
        institution=replace(
            GOOD_INSTITUTION, kind="community", beds_total=0, deposit_amount=None, deposit_bank=""
        ),
        fees=(fee("日间照料服务费", "1200"),),
        resources=replace(GOOD_RESOURCES, food_licence=""),
        rule_titles=("员工守则", "投诉处理制度", "突发事件应急预案"),
        credit_commitment=True,
    )
    result = completeness(facts)
    assert result.missing == []
    assert result.total == 17


def test_community_centre_serving_meals_must_show_a_food_licence():
    facts = Facts(
        institution=replace(GOOD_INSTITUTION, kind="community", deposit_amount=None),
        fees=(fee("助餐服务费", "15", "餐"),),
        resources=replace(GOOD_RESOURCES, food_licence=""),
        rule_titles=("员工守则", "投诉处理制度", "突发事件应急预案"),
        credit_commitment=True,
    )
    assert completeness(facts).missing == ["食品经营许可"]


@pytest.mark.parametrize("kind", ["assessment", "training"])
def test_assessment_and_training_bodies_need_rules_but_not_resources(kind):
    facts = Facts(
        institution=replace(GOOD_INSTITUTION, kind=kind, deposit_amount=None),
        fees=(fee("老年人能力评估费", "300", "次"),),
        credit_commitment=True,
    )
    assert completeness(facts).missing == ["规章制度"]
    assert completeness(replace(facts, rule_titles=("评估工作规范",))).missing == []


def test_disclosure_item_keys_are_unique_and_labelled():
    keys = [i.key for i in DISCLOSURE_ITEMS]
    assert len(keys) == len(set(keys))
    assert all(i.label and i.kinds for i in DISCLOSURE_ITEMS)


# --- thresholds ---------------------------------------------------------------------------------


def test_default_thresholds_are_the_seeds_numbers():
    t = Thresholds()
    assert (t.severe_per_caregiver, t.mild_per_caregiver, t.self_care_per_caregiver) == (3, 6, 10)
    assert t.deposit_max_months == Decimal(3)
    assert t.video_retention_days == 15
    assert (t.fire_drill_months, t.emergency_drill_months) == (6, 12)


def test_thresholds_from_environment_strings():
    t = Thresholds.from_mapping(
        {"VIDEO_RETENTION_DAYS": "90", "deposit_max_months": "2.5", "fire_drill_months": 3.0}
    )
    assert t.video_retention_days == 90
    assert t.deposit_max_months == Decimal("2.5")
    assert t.fire_drill_months == 3
    assert t.severe_per_caregiver == 3
    assert Thresholds.from_mapping({}) == Thresholds()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"video_days": "90"}, "unknown threshold 'video_days'"),
        ({"video_retention_days": "ninety"}, "video_retention_days must be a number"),
        ({"video_retention_days": "1.5"}, "video_retention_days must be a number"),
        ({"video_retention_days": True}, "video_retention_days must be a number"),
        ({"video_retention_days": "0"}, "video_retention_days must be positive"),
        ({"severe_per_caregiver": -3}, "severe_per_caregiver must be positive"),
        ({"deposit_max_months": "NaN"}, "deposit_max_months must be a number"),
        ({"deposit_max_months": "0"}, "deposit_max_months must be positive"),
    ],
)
def test_bad_thresholds_are_refused(values, message):
    with pytest.raises(ValueError, match=message):
        Thresholds.from_mapping(values)


# --- formatting and building facts from rows ----------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("3000", "3,000.00 元"),
        ("9000.01", "9,000.01 元"),
        ("1234567.891", "1,234,567.89 元"),
        ("0.005", "0.01 元"),
        ("0", "0.00 元"),
        ("999.995", "1,000.00 元"),
    ],
)
def test_yuan_is_formatted_with_thousands_and_two_decimals(amount, text):
    assert yuan(Decimal(amount)) == text


@pytest.mark.parametrize(
    ("facts_class", "model", "extra"),
    [
        (InstitutionFacts, Institution, {"serves_food"}),
        (FeeFacts, FeeItem, set()),
        (ResourceFacts, ServiceResources, set()),
        (GradeFacts, Grade, set()),
        (InspectionFacts, Inspection, {"department_name"}),
    ],
)
def test_facts_fields_are_named_like_the_model_columns(facts_class, model, extra):
    columns = set(model.__table__.columns.keys())
    assert {f.name for f in fields(facts_class)} - columns == extra


def test_from_obj_copies_same_named_attributes_and_takes_overrides():
    row = SimpleNamespace(
        inspected_on=d("2025-04-01"),
        rectification_deadline=d("2025-05-01"),
        rectification_status="pending",
        findings="消防通道堵塞",
        department=SimpleNamespace(name="示范区消防救援大队"),
        id=7,
    )
    facts = InspectionFacts.from_obj(row, department_name=row.department.name)
    assert facts == InspectionFacts(
        d("2025-04-01"), d("2025-05-01"), "pending", "示范区消防救援大队", "消防通道堵塞"
    )


# --- open days ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        ("2025-01-01", []),  # 180 days before TODAY (2025-06-30): at the threshold
        ("2025-01-02", []),  # 179 days: within
        ("2024-12-31", ["open_day_overdue"]),  # 181 days: one day over
        (None, ["open_day_overdue"]),  # never held one
    ],
)
def test_open_day_period(last, expected):
    facts = replace(GOOD, open_days_checked=True, last_open_day=d(last) if last else None)
    assert codes(facts) == expected


def test_open_day_overdue_message_rule_and_numbers():
    facts = replace(GOOD, open_days_checked=True, last_open_day=d("2024-12-01"))
    flag = only(facts, "open_day_overdue")
    assert flag.severity == "warning"
    assert flag.text == ("近期未举办开放日：最近一次开放日在2024年12月1日，已 211 天未举办，"
                         "要求每 180 天至少 1 次")
    assert flag.rule.endswith("（苏州市苏府办〔2021〕248号；株洲市养老服务综合监管实施方案"
                              "（征求意见稿））；本平台按每 180 天至少 1 次核对")
    assert flag.numbers == {"last": "2024-12-01", "days_since": 211, "period_days": 180}


def test_open_day_period_follows_configured_threshold():
    facts = replace(GOOD, open_days_checked=True, last_open_day=d("2025-01-01"))
    ninety = Thresholds.from_mapping({"open_day_period_days": "90"})
    assert codes(facts, thresholds=ninety) == ["open_day_overdue"]
    assert "每 90 天" in only(facts, "open_day_overdue", thresholds=ninety).rule


@pytest.mark.parametrize("kind", ["community", "assessment", "training"])
def test_open_day_check_is_for_residential_homes_and_only_when_loaded(kind):
    never = replace(GOOD, open_days_checked=True, last_open_day=None)
    assert codes(with_inst(never, kind=kind, deposit_amount=None)) == []
    assert codes(replace(GOOD, last_open_day=None)) == []  # open days not loaded: no claim
