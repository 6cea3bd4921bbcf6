"""Efficiency indicators read from inspections (seed 004's 评估表 2.5, 2.6, 3.5, 4.1), pure rules:
civil affairs' on-site check within a deadline of filing or of an unfiled place's discovery, the
yearly check of every 养老机构, and the problems found and rectified by recorded outcome."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, time

from complaints.rules import clock
from portal.institutions.rules.facts import RESIDENTIAL
from portal.institutions.vocab import DISCOVERY_CHANNELS
from portal.opendata.rules.indicator_types import (
    Indicator,
    InspectionRow,
    Period,
    Record,
    Subject,
    make_indicator,
    pct,
    record_of,
    registered_residential,
)

# 2.5, 2.6 and 3.5 ask for the civil-affairs check 《养老机构管理办法》 requires (备案民政部门,
# 县级人民政府民政部门; seed 001 (一): 市民政局会同相关部门): another department's inspection alone
# does not count. Joint inspections are recorded in civil affairs' name.
CHECK_DEPARTMENT = "civil_affairs"
CHECK_DEPARTMENT_NAME = "民政部门"


def civil_checks(s: Subject) -> list[date]:
    """The dates of the subject's inspections made by civil affairs, in order."""
    return sorted(v.on for v in s.inspections if v.department_type == CHECK_DEPARTMENT)


def _others(s: Subject, keep: Callable[[date], bool]) -> str:
    n = sum(1 for v in s.inspections if v.department_type != CHECK_DEPARTMENT and keep(v.on))
    return f"；其他部门检查 {n} 次，不计入" if n else ""


def check_deadline(start: date, period: Period) -> tuple[date, bool]:
    """The Nth working day after `start` (the start day itself is not counted, 民法典 201;
    N = thresholds.onsite_check_working_days), and whether it is provisional (a year without
    a published holiday schedule)."""
    noon = datetime.combine(start, time(12), tzinfo=period.tz)
    days = period.thresholds.onsite_check_working_days
    deadline = clock.compute_deadline(noon, days, period.calendar, period.tz)
    return deadline.last_day, deadline.provisional


def _onsite_check(code: str, subjects: Sequence[Subject], start_of: Callable[[Subject], date | None],
                  what: str, period: Period, missing: str = "") -> Indicator:
    records = []
    on_time = judged = pending = unknown = 0
    t = period.thresholds
    for s in subjects:
        start = start_of(s)
        if start is None and missing:
            unknown += 1
            records.append(record_of(s, missing, False, f"未记录{what}日期，无法计算检查期限"))
            continue
        if not period.in_year(start):
            continue
        assert start is not None
        due, provisional = check_deadline(start, period)
        first = next((d for d in civil_checks(s) if start <= d <= period.today), None)
        note = f"{what} {start.isoformat()}，应于 {due.isoformat()} 前检查"
        note += "（暂定）" if provisional else ""
        note += _others(s, lambda d, start=start: start <= d <= period.today)
        if first is not None and first <= due:
            on_time += 1
            judged += 1
            records.append(record_of(s, "按期检查", True, f"{note}，{first.isoformat()} 民政部门检查"))
        elif first is not None:
            judged += 1
            records.append(record_of(s, "逾期检查", False, f"{note}，{first.isoformat()} 民政部门检查"))
        elif period.today > due:
            judged += 1
            records.append(record_of(s, "未检查（已超期）", False, note))
        else:
            pending += 1
            records.append(record_of(s, "未到期", False, note))
    definition = (
        f"{period.year} 年{what}的机构中，自{what}之日起 {t.onsite_check_working_days} 个工作日以内"
        f"（{what}当日不计，节假日和调休按工作日历）有{CHECK_DEPARTMENT_NAME}现场检查记录的比例；"
        "其他部门单独开展的检查不计入；期限未到且尚未检查的不计入分母。"
        f"期限依据：{t.onsite_check_source}（可由 PORTAL_CHECK_ONSITE_CHECK_WORKING_DAYS 调整）。"
    )
    value = (f"按期检查 {on_time} 家，应检查 {judged} 家（{pct(on_time, judged)}）；"
             f"期限未到 {pending} 家")
    if missing:
        value += f"；未记录{what}日期 {unknown} 家"
    return make_indicator(code, definition, on_time, judged, value, records)


def filed_onsite_check(subjects: Sequence[Subject], period: Period) -> Indicator:
    """2.5: filed 养老机构 checked on site by civil affairs within N working days of filing."""
    filed = [s for s in subjects if s.kind in RESIDENTIAL and s.filing_status == "filed"]
    return _onsite_check("2.5", filed, lambda s: s.filing_date, "备案", period)


def unfiled_onsite_check(subjects: Sequence[Subject], period: Period) -> Indicator:
    """2.6: unfiled places checked on site by civil affairs within N working days of their
    recorded discovery (the place's discovered_on, not when the system first heard of it)."""
    unfiled = [s for s in subjects if s.filing_status == "unregistered"
               or (s.filing_status == "registered_unfiled" and s.kind in RESIDENTIAL)]
    indicator = _onsite_check("2.6", unfiled, lambda s: s.discovered_on, "发现", period,
                              missing="未记录发现日期")
    by_id = {s.id: s for s in unfiled}
    records = []
    for r in indicator.records:
        s = by_id[r.institution_id]
        how = DISCOVERY_CHANNELS.get(s.discovered_via, "")
        who = f"（{s.discovered_by}）" if s.discovered_by else ""
        note = f"{how}{who}；{r.note}" if how else r.note
        records.append(Record(r.institution_id, r.name, r.district, r.status, r.counted, note))
    return replace(indicator, records=tuple(records))


def annual_inspection(subjects: Sequence[Subject], period: Period) -> Indicator:
    """3.5: every 养老机构 inspected on site by civil affairs at least once in the year."""
    records = []
    for s in registered_residential(subjects):
        dates = [d for d in civil_checks(s) if period.in_year(d)]
        others = _others(s, period.in_year)
        if dates:
            note = f"民政部门检查 {len(dates)} 次，最近 {dates[-1].isoformat()}{others}"
            records.append(record_of(s, "已检查", True, note))
        else:
            records.append(record_of(s, "本年未检查", False, others.removeprefix("；")))
    done = sum(r.counted for r in records)
    definition = (f"{period.year} 年内有至少一次{CHECK_DEPARTMENT_NAME}现场检查（服务安全和质量）记录的"
                  "养老机构占养老机构总数（已登记的养老机构，不含未登记场所）的比例；其他部门单独开展的"
                  "检查不计入。")
    value = f"{period.year} 年已现场检查 {done} 家，共 {len(records)} 家（{pct(done, len(records))}）"
    return make_indicator("3.5", definition, done, len(records), value, records)


def hazard_rectification(subjects: Sequence[Subject], inspections: Sequence[InspectionRow],
                         period: Period) -> Indicator:
    """4.1: inspections in the year, problems found (by the recorded outcome) and rectified."""
    by_id = {s.id: s for s in subjects}
    rows = [i for i in inspections if i.institution_id in by_id and period.in_year(i.inspected_on)]
    problems = [i for i in rows if i.outcome != "no_findings"]
    on_spot = [i for i in problems if i.outcome == "closed_on_spot"]
    ordered = [i for i in problems if i.outcome == "rectification_required"]
    done = [i for i in ordered if i.rectification_status == "done"]
    overdue = [i for i in ordered if i.rectification_status == "overdue" or (
        i.rectification_status == "pending" and i.rectification_deadline is not None
        and i.rectification_deadline < period.today)]
    records = []
    for i in problems:
        s = by_id[i.institution_id]
        if i.outcome == "closed_on_spot":
            records.append(record_of(s, "当场整改", True,
                                   f"{i.inspected_on.isoformat()} 检查发现问题，已当场整改"))
            continue
        status = ("已整改" if i in done else "逾期未整改" if i in overdue else "整改中")
        deadline = i.rectification_deadline.isoformat() if i.rectification_deadline else "未载明"
        records.append(record_of(s, status, i in done,
                               f"{i.inspected_on.isoformat()} 检查发现问题，整改期限 {deadline}"))
    fixed = len(done) + len(on_spot)
    definition = (f"{period.year} 年各类检查次数，按录入的检查结论统计发现问题的次数（责令限期整改和"
                  "当场整改；结论为未发现问题的不计），以及其中已整改（当场整改或限期整改已完成）的比例；"
                  "逾期指状态为逾期未整改，或整改中且已过整改期限。")
    value = (f"检查 {len(rows)} 次（{len({i.institution_id for i in rows})} 家），发现问题 "
             f"{len(problems)} 次（责令限期整改 {len(ordered)} 次，当场整改 {len(on_spot)} 次），"
             f"已整改 {fixed} 次（{pct(fixed, len(problems))}），逾期未整改 {len(overdue)} 次")
    return make_indicator("4.1", definition, fixed, len(problems), value, records, unit="次")
