"""Efficiency indicators on small hand-built data sets whose answers were counted by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from complaints.rules.calendar import WorkCalendar, schedules_from_chinesecalendar
from portal.institutions.rules.facts import (
    Facts,
    FeeFacts,
    GradeFacts,
    InstitutionFacts,
    ResourceFacts,
)
from portal.institutions.rules.thresholds import Thresholds
from portal.opendata.rules import indicators as rules
from portal.opendata.rules.indicator_types import (
    CreditRow,
    InspectionRow,
    PenaltyRow,
    Period,
    Subject,
    Visit,
)

CAL_2026 = WorkCalendar(schedules_from_chinesecalendar([2026]))
TODAY = date(2026, 11, 25)
PERIOD = Period(year=2026, today=TODAY, calendar=CAL_2026)


def subject(n: int, kind: str = "residential", filing: str = "filed", *, grade=None,
            resources=None, fees=(), inspections=(), filing_date=None, discovered_on=None,
            social_workers=None, beds=100, deposit=None, dedicated=False, district="东城区",
            **inst) -> Subject:
    facts = Facts(
        institution=InstitutionFacts(kind=kind, filing_status=filing, beds_total=beds,
                                     filing_date=filing_date,
                                     deposit_amount=deposit, deposit_dedicated_account=dedicated,
                                     **inst),
        fees=tuple(fees), resources=resources, grade=grade,
    )
    return Subject(id=n, name=f"机构{n}", district=district, facts=facts, filing_date=filing_date,
                   discovered_on=discovered_on,
                   inspections=tuple(v if isinstance(v, Visit) else Visit(v) for v in inspections),
                   social_workers=social_workers)


def statuses(indicator) -> dict[int, str]:
    return {r.institution_id: r.status for r in indicator.records}


# --- 2.5 / 2.6: on-site check within 20 working days --------------------------------------


# Filed on Thu 2026-09-24: 09-25..27 中秋 and 10-01..07 国庆 are not counted, Sat 10-10 (调休) is,
# so the 20th working day is Thu 2026-10-29 (weekends only it would be 10-22).
@pytest.mark.parametrize("inspected,status", [
    (date(2026, 9, 24), "按期检查"),   # the filing day itself is within the period
    (date(2026, 10, 22), "按期检查"),
    (date(2026, 10, 29), "按期检查"),  # the last day
    (date(2026, 10, 30), "逾期检查"),  # one day after
])
def test_filed_check_counts_20_working_days_across_national_day(inspected, status):
    s = subject(1, filing_date=date(2026, 9, 24), inspections=[inspected])
    indicator = rules.filed_onsite_check([s], PERIOD)
    assert statuses(indicator) == {1: status}
    assert (indicator.numerator, indicator.denominator) == (int(status == "按期检查"), 1)
    assert "2026-10-29" in indicator.records[0].note


def test_check_deadline_is_the_20th_working_day_after_filing():
    assert rules.check_deadline(date(2026, 9, 24), PERIOD) == (date(2026, 10, 29), False)
    # 2027 has no published schedule: weekends only, marked provisional.
    assert rules.check_deadline(date(2026, 12, 20), PERIOD) == (date(2027, 1, 15), True)


def test_onsite_deadline_is_a_setting_with_its_seed_cited():
    assert "株洲" in PERIOD.thresholds.onsite_check_source and "2.5" in PERIOD.thresholds.onsite_check_source
    # 昆明 (seed 002 (一) 2) says 10 working days: the 10th after Thu 2026-09-24 is 10-15.
    ten = Period(year=2026, today=TODAY, calendar=CAL_2026, thresholds=Thresholds(
        onsite_check_working_days=10, onsite_check_source="昆明市昆政办〔2021〕70号（一）"))
    assert rules.check_deadline(date(2026, 9, 24), ten) == (date(2026, 10, 15), False)
    s = subject(1, filing_date=date(2026, 9, 24), inspections=[date(2026, 10, 20)])
    indicator = rules.filed_onsite_check([s], ten)
    assert statuses(indicator) == {1: "逾期检查"}
    assert "10 个工作日" in indicator.definition and "昆明" in indicator.definition


def test_onsite_checks_count_only_civil_affairs_inspections():
    market = Visit(date(2026, 3, 10), "market_regulation")
    subjects = [
        subject(1, filing_date=date(2026, 3, 2), inspections=[market]),
        subject(2, filing_date=date(2026, 3, 2), inspections=[market, date(2026, 3, 20)]),
    ]
    filed = rules.filed_onsite_check(subjects, PERIOD)
    assert statuses(filed) == {1: "未检查（已超期）", 2: "按期检查"}
    assert "其他部门检查 1 次，不计入" in statuses_notes(filed)[1]
    annual = rules.annual_inspection(subjects, PERIOD)
    assert statuses(annual) == {1: "本年未检查", 2: "已检查"}
    place = subject(3, filing="unregistered", discovered_on=date(2026, 3, 2),
                    inspections=[market])
    assert statuses(rules.unfiled_onsite_check([place], PERIOD)) == {3: "未检查（已超期）"}


def test_filed_check_leaves_pending_ones_out_of_the_base_and_missing_ones_in():
    subjects = [
        subject(1, filing_date=date(2026, 3, 2), inspections=[date(2026, 3, 20)]),  # on time
        subject(2, filing_date=date(2026, 3, 2)),  # never inspected, long overdue
        subject(3, filing_date=date(2026, 11, 20)),  # deadline not reached yet
        subject(4, filing_date=date(2025, 3, 2)),  # other year: not in this report
        subject(5, kind="community", filing_date=date(2026, 3, 2)),  # not a 养老机构
        subject(6, filing_date=date(2026, 3, 2), inspections=[date(2026, 2, 1)]),  # before filing
    ]
    indicator = rules.filed_onsite_check(subjects, PERIOD)
    assert statuses(indicator) == {1: "按期检查", 2: "未检查（已超期）", 3: "未到期",
                                   6: "未检查（已超期）"}
    assert (indicator.numerator, indicator.denominator) == (1, 3)
    assert indicator.rate == Decimal("33.3")


def test_unfiled_check_runs_from_discovery():
    subjects = [
        subject(1, filing="unregistered", kind="community", discovered_on=date(2026, 9, 24),
                inspections=[date(2026, 10, 29)]),
        subject(2, filing="registered_unfiled", discovered_on=date(2026, 9, 24),
                inspections=[date(2026, 10, 30)]),
        subject(3, filing="registered_unfiled", kind="community",
                discovered_on=date(2026, 9, 24)),  # unfiled community service: no filing duty
        subject(4, discovered_on=date(2026, 9, 24)),  # filed
    ]
    indicator = rules.unfiled_onsite_check(subjects, PERIOD)
    assert statuses(indicator) == {1: "按期检查", 2: "逾期检查"}
    assert (indicator.numerator, indicator.denominator) == (1, 2)


def test_unfiled_check_uses_the_recorded_discovery_and_lists_places_without_one():
    found = Subject(id=1, name="无证托老所", district="东城区", facts=subject(
        1, filing="unregistered").facts, discovered_on=date(2026, 8, 10),
        discovered_via="complaint", discovered_by="12349 热线",
        inspections=(Visit(date(2026, 8, 20)),))
    unknown = subject(2, filing="unregistered", inspections=[date(2026, 8, 20)])
    indicator = rules.unfiled_onsite_check([found, unknown], PERIOD)
    assert statuses(indicator) == {1: "按期检查", 2: "未记录发现日期"}
    assert statuses_notes(indicator)[1].startswith("投诉举报（12349 热线）；发现 2026-08-10")
    assert (indicator.numerator, indicator.denominator) == (1, 1)
    assert "未记录发现日期 1 家" in indicator.value


# --- 3.5, 4.1, 4.2, 4.3 ---------------------------------------------------------------------


def test_annual_inspection_counts_registered_residential_inspected_this_year():
    subjects = [
        subject(1, inspections=[date(2026, 5, 1), date(2025, 5, 1)]),
        subject(2, inspections=[date(2025, 12, 31)]),
        subject(3, filing="registered_unfiled", inspections=[date(2026, 1, 5)]),
        subject(4, filing="unregistered", inspections=[date(2026, 1, 5)]),  # not in the base
        subject(5, inspections=[date(2026, 12, 1)]),  # after "today": not yet
    ]
    indicator = rules.annual_inspection(subjects, PERIOD)
    assert statuses(indicator) == {1: "已检查", 2: "本年未检查", 3: "已检查", 5: "本年未检查"}
    assert (indicator.numerator, indicator.denominator) == (2, 4)


def test_hazard_rectification_counts_problems_and_overdue():
    subjects = [subject(1), subject(2)]
    rows = [
        InspectionRow(1, date(2026, 3, 1), NO, "none_required"),
        InspectionRow(1, date(2026, 4, 1), REQUIRED, "done", date(2026, 5, 1)),
        InspectionRow(2, date(2026, 5, 1), REQUIRED, "pending", date(2026, 6, 1)),  # past deadline
        InspectionRow(2, date(2026, 11, 1), REQUIRED, "pending", date(2026, 12, 31)),
        InspectionRow(2, date(2026, 11, 2), ON_SPOT, "none_required"),
        InspectionRow(2, date(2025, 5, 1), REQUIRED, "overdue", date(2025, 6, 1)),  # other year
        InspectionRow(99, date(2026, 5, 1), REQUIRED, "overdue"),  # another district
    ]
    indicator = rules.hazard_rectification(subjects, rows, PERIOD)
    assert (indicator.numerator, indicator.denominator) == (2, 4)
    assert "检查 5 次（2 家）" in indicator.value
    assert "责令限期整改 3 次，当场整改 1 次" in indicator.value
    assert "逾期未整改 1 次" in indicator.value
    assert sorted(r.status for r in indicator.records) == ["已整改", "当场整改", "整改中",
                                                           "逾期未整改"]


NO, REQUIRED, ON_SPOT = "no_findings", "rectification_required", "closed_on_spot"


def test_hazard_rectification_reads_the_outcome_not_the_findings_text():
    # An inspection whose outcome says no findings is no problem found, whatever its text says;
    # before the outcome existed "未发现问题" in the findings was counted as a problem.
    rows = [InspectionRow(1, date(2026, 3, 1), NO, "none_required"),
            InspectionRow(1, date(2026, 4, 1), NO, "none_required"),
            InspectionRow(1, date(2026, 5, 1), ON_SPOT, "none_required")]
    indicator = rules.hazard_rectification([subject(1)], rows, PERIOD)
    assert (indicator.numerator, indicator.denominator) == (1, 1)
    assert "发现问题 1 次" in indicator.value


def test_penalties_in_year_sum_amounts():
    rows = [PenaltyRow(1, date(2026, 2, 1), Decimal("5000.00")),
            PenaltyRow(1, date(2026, 8, 1), Decimal("1500.50")),
            PenaltyRow(2, date(2025, 8, 1), Decimal("9999"))]
    indicator = rules.penalties_in_year([subject(1), subject(2)], rows, PERIOD)
    assert indicator.numerator == 2 and indicator.denominator is None
    assert "罚没金额 6,500.50 元" in indicator.value
    assert "涉及 1 家机构" in indicator.value


def test_blacklist_counts_entries_in_force():
    rows = [CreditRow(1, "black", date(2026, 2, 1)),
            CreditRow(2, "black", date(2025, 2, 1), expires_on=date(2026, 1, 1)),  # expired
            CreditRow(3, "black", date(2026, 3, 1), removed_on=date(2026, 4, 1)),  # removed
            CreditRow(1, "red", date(2026, 2, 1))]
    indicator = rules.blacklist_published([subject(1), subject(2), subject(3)], rows, PERIOD)
    assert indicator.numerator == 1
    assert "2026 年新列入 2 条" in indicator.value
    assert [r.institution_id for r in indicator.records] == [1]


# --- 4.4, 4.5, 4.8, 4.9 -----------------------------------------------------------------------


def grade(level=3, ok=True, valid_until=None):
    return GradeFacts(level=level, awarded_on=date(2024, 6, 1), valid_until=valid_until,
                      gb38600_compliant=ok)


def test_gb38600_and_grading_coverage():
    subjects = [
        subject(1, grade=grade(ok=True)),
        subject(2, grade=grade(ok=False)),
        subject(3),  # never assessed
        subject(4, grade=grade(ok=True, valid_until=date(2026, 1, 1))),  # grade expired
        subject(5, filing="unregistered", grade=grade()),  # not a registered 养老机构
        subject(6, kind="community", grade=grade()),
    ]
    gb = rules.gb38600_compliant(subjects)
    assert statuses(gb) == {1: "达标", 2: "未达标", 3: "未评估", 4: "达标"}
    assert (gb.numerator, gb.denominator, gb.rate) == (2, 4, Decimal("50.0"))
    coverage = rules.grading_coverage(subjects, PERIOD)
    assert statuses(coverage) == {1: "3 级", 2: "3 级", 3: "未评定", 4: "等级已过期"}
    assert (coverage.numerator, coverage.denominator) == (2, 4)


def test_meal_licences_only_for_community_services_serving_meals():
    meal = FeeFacts(item="餐费", price=Decimal("600"))
    subjects = [
        subject(1, kind="community", fees=[meal], resources=ResourceFacts(food_licence="JY1")),
        subject(2, kind="community", fees=[meal], resources=ResourceFacts()),
        subject(3, kind="community", fees=[FeeFacts(item="助浴", price=Decimal("50"))]),
        subject(4, fees=[meal]),  # residential: not this indicator
    ]
    indicator = rules.meal_licences(subjects)
    assert statuses(indicator) == {1: "已取得", 2: "未公开许可"}
    assert indicator.value.startswith("部分落实")


def test_fire_approval_counts_the_status_and_classes_the_rest():
    def res(status, note=""):
        return ResourceFacts(fire_approval_status=status, fire_approval=note)

    subjects = [
        subject(1, resources=ResourceFacts(fire_approval_status="passed",
                                           fire_approval_doc_no="示住建消验字〔2020〕第1号",
                                           fire_approval_date=date(2020, 5, 1))),
        subject(2, resources=res("failed", "整改中")),
        subject(3, resources=res("in_progress")),
        subject(4, resources=res(None, "无消防手续")),  # the issue: text is no status
        subject(5, resources=res(None, "办理中")),
        subject(6),
        subject(7, kind="community", resources=res("not_required", "上门服务")),  # not 养老机构
        subject(8, filing="unregistered", resources=res("passed")),  # not counted at all
    ]
    indicator = rules.fire_approval(subjects)
    assert statuses(indicator) == {1: "通过", 2: "未通过", 3: "办理中", 4: "未公开", 5: "未公开",
                                   6: "未公开"}
    assert (indicator.numerator, indicator.denominator) == (1, 6)
    assert indicator.value == ("已完成 1 家，共 6 家（16.7%）；未通过 1 家，办理中 1 家，"
                               "未公开 3 家")
    notes = {r.institution_id: r.note for r in indicator.records}
    assert notes[1] == "通过（文号 示住建消验字〔2020〕第1号，取得日期 2020-05-01）"
    assert notes[4] == "未按规定公开（原填写：无消防手续）"


# --- 4.13, 4.14, 4.18, 4.21 ---------------------------------------------------------------------


def test_disclosure_indicators_reuse_the_completeness_list():
    codes = dict(credit_code="52330100MJ0000000X", registration_no="民证字001",
                 registration_date=date(2020, 1, 1), filing_no="备001",
                 filing_date=date(2021, 1, 1))
    beds = [FeeFacts(item="床位费", price=Decimal("1800"))]
    subjects = [
        subject(1, grade=grade(), fees=beds, **codes),
        subject(2, fees=beds, **codes),  # no grade
        subject(3, grade=grade()),  # no codes, no fees
        subject(4, kind="community", fees=beds, credit_code="52330100MJ0000001X",
                registration_no="民证字002", registration_date=date(2020, 1, 1)),  # no grade due
        subject(5, filing="unregistered"),  # not counted
    ]
    management = rules.management_disclosure(subjects)
    assert statuses(management) == {1: "已公开", 2: "缺项", 3: "缺项", 4: "已公开"}
    assert management.records[0].note.startswith("缺：")
    assert "等级评定" in statuses_notes(management)[2]
    assert (management.numerator, management.denominator) == (2, 4)
    quality = rules.quality_disclosure(subjects)
    assert statuses(quality) == {1: "已公开", 2: "已公开", 3: "缺项", 4: "已公开"}
    assert (quality.numerator, quality.denominator) == (3, 4)


def statuses_notes(indicator) -> dict[int, str]:
    return {r.institution_id: r.note for r in indicator.records}


def test_deposits_report_over_cap_and_dedicated_accounts_not_a_sum_of_standards():
    month = [FeeFacts(item="床位费", price=Decimal("1000"))]
    subjects = [
        subject(1, deposit=Decimal("2000"), dedicated=True, fees=month),
        subject(2, deposit=Decimal("5000"), dedicated=False, fees=month),  # over 3 × 1000
        subject(3, deposit=Decimal("0")),
        subject(4, kind="assessment", deposit=Decimal("100")),
        subject(5, deposit=Decimal("900"), dedicated=True),  # no monthly fee published
    ]
    indicator = rules.deposits(subjects, PERIOD)
    assert statuses(indicator) == {1: "专户存储", 2: "未专户存储，超过上限", 5: "专户存储"}
    assert "合计" not in indicator.value  # deposit standards are not money held
    assert "超过上限 1 家" in indicator.value and "未专户存储 1 家" in indicator.value
    assert "无法核对上限 1 家" in indicator.value
    assert "收取金额、涉及人员、清退情况：本平台未记录" in indicator.value
    assert "涉及老人人数和清退情况" in indicator.not_recorded
    assert "昆明市昆政办〔2021〕70号（五）" in indicator.definition
    assert (indicator.numerator, indicator.denominator) == (2, 3)


def test_deposit_cap_follows_the_configured_thresholds():
    month = [FeeFacts(item="床位费", price=Decimal("1000"))]
    subjects = [subject(2, deposit=Decimal("5000"), dedicated=False, fees=month)]
    six = Period(year=2026, today=TODAY, calendar=CAL_2026,
                 thresholds=Thresholds(deposit_max_months=Decimal(6)))
    indicator = rules.deposits(subjects, six)
    assert "超过上限 0 家" in indicator.value and "6 倍" in indicator.definition
    assert statuses(indicator) == {2: "未专户存储"}


def test_social_workers_per_hundred_beds():
    subjects = [subject(1, social_workers=2, beds=150), subject(2, social_workers=1, beds=250),
                subject(3, social_workers=None, beds=80), subject(4, social_workers=3, beds=0)]
    indicator = rules.social_workers_per_100_beds(subjects)
    assert indicator.figure == Decimal("0.75")  # 3 workers / 400 beds × 100
    assert (indicator.numerator, indicator.denominator) == (3, 400)
    assert statuses(indicator)[3] == "未公开"


def test_compute_all_returns_the_form_order_with_the_forms_wording():
    result = rules.compute_all([subject(1)], [], [], [], PERIOD)
    codes = [i.code for i in result]
    assert codes == ["2.5", "2.6", "3.5", "4.1", "4.2", "4.3", "4.4", "4.5", "4.8", "4.9",
                     "4.13", "4.14", "4.18", "4.21"]
    assert result[6].name == "符合《养老机构服务安全基本规范》强制性国家标准的养老机构数量"
