"""Supervision efficiency indicators (seed 004's 评估表) as pure rules over plain rows.

The caller (`indicators.py`) turns the database into `Subject`, `InspectionRow`, `PenaltyRow`
and `CreditRow` values; nothing here reads the database, the clock or the environment. Each
rule returns an `Indicator` carrying its definition, its numbers and the records behind them,
so a page, a drill-down and the XLSX all show one set of figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from complaints import clock
from portal.institutions.checks import (
    RESIDENTIAL,
    completeness,
    compute_flags,
    serves_food,
)
from portal.institutions.fire_approval import STATUSES as FIRE_APPROVAL_STATUSES
from portal.institutions.fire_approval import summary as fire_approval_summary
from portal.opendata.evaluation_form import BY_CODE
from portal.opendata.indicator_types import (
    CreditRow,
    Indicator,
    InspectionRow,
    PenaltyRow,
    Period,
    Record,
    Subject,
)

ONSITE_CHECK_WORKING_DAYS = 20  # 《养老机构管理办法》: 20 个工作日以内进行现场检查
DEPOSIT_SERVICES = frozenset({"residential", "community"})


def _indicator(code: str, definition: str, numerator, denominator, value: str,
               records: Sequence[Record] = (), unit: str = "家", **extra) -> Indicator:
    ordered = tuple(sorted(records, key=lambda r: (r.counted, r.district, r.institution_id)))
    return Indicator(code, BY_CODE[code].name, definition, numerator, denominator, value,
                     ordered, unit, **extra)


def _pct(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / whole).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def _record(s: Subject, status: str, counted: bool, note: str = "") -> Record:
    return Record(s.id, s.name, s.district, status, counted, note)


def registered_residential(subjects: Sequence[Subject]) -> list[Subject]:
    """养老机构总数: residential institutions with a registration (unregistered places are not)."""
    return [s for s in subjects if s.kind in RESIDENTIAL and s.filing_status != "unregistered"]


def check_deadline(start: date, period: Period) -> tuple[date, bool]:
    """The 20th working day after `start` (the start day itself is not counted, 民法典 201),
    and whether it is provisional (a year without a published holiday schedule)."""
    noon = datetime.combine(start, time(12), tzinfo=period.tz)
    deadline = clock.compute_deadline(noon, ONSITE_CHECK_WORKING_DAYS, period.calendar, period.tz)
    return deadline.last_day, deadline.provisional


def _onsite_check(code: str, subjects: Sequence[Subject], start_of: Callable[[Subject], date | None],
                  what: str, period: Period) -> Indicator:
    records = []
    on_time = judged = pending = 0
    for s in subjects:
        start = start_of(s)
        if not period.in_year(start):
            continue
        assert start is not None
        due, provisional = check_deadline(start, period)
        first = min((d for d in s.inspections if start <= d <= period.today), default=None)
        note = f"{what} {start.isoformat()}，应于 {due.isoformat()} 前检查"
        note += "（暂定）" if provisional else ""
        if first is not None and first <= due:
            on_time += 1
            judged += 1
            records.append(_record(s, "按期检查", True, f"{note}，{first.isoformat()} 检查"))
        elif first is not None:
            judged += 1
            records.append(_record(s, "逾期检查", False, f"{note}，{first.isoformat()} 检查"))
        elif period.today > due:
            judged += 1
            records.append(_record(s, "未检查（已超期）", False, note))
        else:
            pending += 1
            records.append(_record(s, "未到期", False, note))
    definition = (
        f"{period.year} 年{what}的机构中，自{what}之日起 {ONSITE_CHECK_WORKING_DAYS} 个工作日以内"
        f"（{what}当日不计，节假日和调休按工作日历）有现场检查记录的比例；期限未到且尚未检查的"
        "不计入分母。"
    )
    value = (f"按期检查 {on_time} 家，应检查 {judged} 家（{_pct(on_time, judged)}）；"
             f"期限未到 {pending} 家")
    return _indicator(code, definition, on_time, judged, value, records)


def filed_onsite_check(subjects: Sequence[Subject], period: Period) -> Indicator:
    """2.5: filed 养老机构 checked on site within 20 working days of filing."""
    filed = [s for s in subjects if s.kind in RESIDENTIAL and s.filing_status == "filed"]
    return _onsite_check("2.5", filed, lambda s: s.filing_date, "备案", period)


def unfiled_onsite_check(subjects: Sequence[Subject], period: Period) -> Indicator:
    """2.6: unfiled places checked on site within 20 working days of being discovered."""
    unfiled = [s for s in subjects if s.filing_status == "unregistered"
               or (s.filing_status == "registered_unfiled" and s.kind in RESIDENTIAL)]
    return _onsite_check("2.6", unfiled, lambda s: s.discovered_on, "发现", period)


def annual_inspection(subjects: Sequence[Subject], period: Period) -> Indicator:
    """3.5: every 养老机构 inspected on site at least once in the year."""
    records = []
    for s in registered_residential(subjects):
        dates = sorted(d for d in s.inspections if period.in_year(d))
        if dates:
            note = f"{len(dates)} 次，最近 {dates[-1].isoformat()}"
            records.append(_record(s, "已检查", True, note))
        else:
            records.append(_record(s, "本年未检查", False))
    done = sum(r.counted for r in records)
    definition = (f"{period.year} 年内有至少一次现场检查记录的养老机构占养老机构总数（已登记的"
                  "养老机构，不含未登记场所）的比例。")
    value = f"{period.year} 年已现场检查 {done} 家，共 {len(records)} 家（{_pct(done, len(records))}）"
    return _indicator("3.5", definition, done, len(records), value, records)


def hazard_rectification(subjects: Sequence[Subject], inspections: Sequence[InspectionRow],
                         period: Period) -> Indicator:
    """4.1: inspections in the year, problems found and how many were rectified."""
    by_id = {s.id: s for s in subjects}
    rows = [i for i in inspections if i.institution_id in by_id and period.in_year(i.inspected_on)]
    problems = [i for i in rows if i.found_problems or i.rectification_status != "none_required"]
    done = [i for i in problems if i.rectification_status == "done"]
    overdue = [i for i in problems if i.rectification_status == "overdue" or (
        i.rectification_status == "pending" and i.rectification_deadline is not None
        and i.rectification_deadline < period.today)]
    records = []
    for i in problems:
        s = by_id[i.institution_id]
        status = ("已整改" if i in done else "逾期未整改" if i in overdue else "整改中")
        deadline = i.rectification_deadline.isoformat() if i.rectification_deadline else "未载明"
        records.append(_record(s, status, i in done,
                               f"{i.inspected_on.isoformat()} 检查发现问题，整改期限 {deadline}"))
    definition = (f"{period.year} 年各类检查次数、发现问题（有检查发现或需整改）的次数，以及其中已整改"
                  "的比例；逾期指状态为逾期未整改，或整改中且已过整改期限。")
    value = (f"检查 {len(rows)} 次（{len({i.institution_id for i in rows})} 家），发现问题 "
             f"{len(problems)} 次，已整改 {len(done)} 次（{_pct(len(done), len(problems))}），"
             f"逾期未整改 {len(overdue)} 次")
    return _indicator("4.1", definition, len(done), len(problems), value, records, unit="次")


def penalties_in_year(subjects: Sequence[Subject], penalties: Sequence[PenaltyRow],
                      period: Period) -> Indicator:
    """4.2: administrative penalties decided in the year and their amounts."""
    by_id = {s.id: s for s in subjects}
    rows = [p for p in penalties if p.institution_id in by_id and period.in_year(p.decided_on)]
    total = sum((p.amount for p in rows), Decimal(0))
    records = [_record(by_id[p.institution_id], "行政处罚", True,
                       f"{p.decided_on.isoformat()}，罚没 {p.amount:.2f} 元") for p in rows]
    definition = f"{period.year} 年作出的行政处罚决定件数、涉及机构数和罚没金额合计。"
    value = (f"行政处罚 {len(rows)} 件，涉及 {len({p.institution_id for p in rows})} 家机构，"
             f"罚没金额 {total:,.2f} 元")
    return _indicator("4.2", definition, len(rows), None, value, records, unit="件")


def blacklist_published(subjects: Sequence[Subject], credit: Sequence[CreditRow],
                        period: Period) -> Indicator:
    """4.3: the joint-punishment black list published on this portal (entries in force)."""
    by_id = {s.id: s for s in subjects}
    rows = [c for c in credit if c.list_type == "black" and c.institution_id in by_id]
    listed = [c for c in rows if c.in_force(period.today) and c.listed_on <= period.today]
    records = [_record(by_id[c.institution_id], "在列公开", True,
                       f"{c.listed_on.isoformat()} 列入"
                       + (f"，有效期至 {c.expires_on.isoformat()}" if c.expires_on else ""))
               for c in listed]
    new = sum(1 for c in rows if period.in_year(c.listed_on))
    definition = ("本平台“失信联合惩戒对象名单”页面公开的在列条目（未移出、未过期）；录入即公开。"
                  f"另计 {period.year} 年新列入的条目数。")
    value = (f"是，通过本平台门户网站公开，在列 {len(listed)} 条；{period.year} 年新列入 {new} 条")
    return _indicator("4.3", definition, len(listed), None, value, records, unit="条")


def gb38600_compliant(subjects: Sequence[Subject]) -> Indicator:
    """4.4: 养老机构 whose latest assessment finds them compliant with GB 38600-2019."""
    records = []
    for s in registered_residential(subjects):
        g = s.facts.grade
        if g is None:
            records.append(_record(s, "未评估", False))
        elif g.gb38600_compliant:
            records.append(_record(s, "达标", True, f"{g.awarded_on.isoformat()} 评定"))
        else:
            records.append(_record(s, "未达标", False, f"{g.awarded_on.isoformat()} 评定"))
    ok = sum(r.counted for r in records)
    unknown = sum(r.status == "未评估" for r in records)
    definition = ("最近一次评定结论为符合《养老机构服务安全基本规范》（GB 38600-2019）的养老机构数量；"
                  "分母为已登记的养老机构总数，没有评定记录的计为未评估。")
    value = (f"达标 {ok} 家，共 {len(records)} 家（{_pct(ok, len(records))}）；未达标 "
             f"{len(records) - ok - unknown} 家，未评估 {unknown} 家")
    return _indicator("4.4", definition, ok, len(records), value, records)


def grading_coverage(subjects: Sequence[Subject], period: Period) -> Indicator:
    """4.5: share of 养老机构 holding a grade (GB/T 37276) that is still valid."""
    records = []
    for s in registered_residential(subjects):
        g = s.facts.grade
        if g is None:
            records.append(_record(s, "未评定", False))
        elif g.valid_until is not None and g.valid_until < period.today:
            records.append(_record(s, "等级已过期", False, f"有效期至 {g.valid_until.isoformat()}"))
        else:
            records.append(_record(s, f"{g.level} 级", True, f"{g.awarded_on.isoformat()} 评定"))
    ok = sum(r.counted for r in records)
    definition = ("完成等级评定且等级在有效期内的养老机构占养老机构总数（已登记的养老机构）的比例。")
    value = f"已评定 {ok} 家，共 {len(records)} 家，覆盖率 {_pct(ok, len(records))}"
    return _indicator("4.5", definition, ok, len(records), value, records)


def meal_licences(subjects: Sequence[Subject]) -> Indicator:
    """4.8: community services serving meals that publish a food business licence."""
    records = []
    for s in subjects:
        if s.kind != "community" or s.filing_status == "unregistered" or not serves_food(s.facts):
            continue
        res = s.facts.resources
        licence = res.food_licence.strip() if res else ""
        records.append(_record(s, "已取得" if licence else "未公开许可", bool(licence), licence))
    ok = sum(r.counted for r in records)
    state = "全面落实" if records and ok == len(records) else "部分落实" if ok else "未落实"
    definition = ("提供助餐服务（公开了餐费项目或声明供餐）的居家社区养老服务机构中，公开了食品经营"
                  "许可证号的比例。")
    value = f"{state}：{ok} 家已取得许可，共 {len(records)} 家（{_pct(ok, len(records))}）"
    if not records:
        value = "本辖区没有公开助餐服务的居家社区养老服务机构"
    return _indicator("4.8", definition, ok, len(records), value, records)


def fire_approval(subjects: Sequence[Subject]) -> Indicator:
    """4.9: 养老机构 that completed 消防审验 or 备案 (status 通过); the others classed by their
    published status, as the form asks (对未完成的分类说明原因)."""
    records = []
    for s in registered_residential(subjects):
        res = s.facts.resources
        status = res.fire_approval_status if res else None
        label = FIRE_APPROVAL_STATUSES.get(status, "未公开") if status else "未公开"
        note = "" if res is None else fire_approval_summary(
            status, res.fire_approval_doc_no, res.fire_approval_date, res.fire_approval)
        records.append(_record(s, label, status == "passed", note))
    ok = sum(r.counted for r in records)
    # 无需办理 is not an answer a 养老机构 can give (the form refuses it); shown if it occurs.
    classes = [FIRE_APPROVAL_STATUSES[c] for c in ("failed", "in_progress", "not_required")]
    counts = {label: sum(r.status == label for r in records) for label in [*classes, "未公开"]}
    definition = ("公开的消防审验状态为“通过”（取得消防验收合格、验收备案或消防安全检查合格手续）的"
                  "养老机构占养老机构总数的比例；未完成的按公开状态分类：未通过、办理中、未公开。")
    breakdown = "，".join(f"{label} {n} 家" for label, n in counts.items()
                         if n or label != FIRE_APPROVAL_STATUSES["not_required"])
    value = f"已完成 {ok} 家，共 {len(records)} 家（{_pct(ok, len(records))}）；{breakdown}"
    return _indicator("4.9", definition, ok, len(records), value, records)


# Completeness items (checks.DISCLOSURE_ITEMS keys) behind 4.13 and 4.14.
MANAGEMENT_KEYS = frozenset({"credit_code", "registration", "filing", "grade"})
QUALITY_KEYS = frozenset({"fees"})


def _disclosure(code: str, subjects: Sequence[Subject], keys: frozenset[str], what: str) -> Indicator:
    records = []
    percents = []
    for s in subjects:
        if s.filing_status == "unregistered":
            continue
        c = completeness(s.facts)
        percents.append(c.percent)
        missing = [label for key, label in zip(c.missing_keys, c.missing, strict=True)
                   if key in keys]
        records.append(_record(s, "已公开" if not missing else "缺项", not missing,
                               "缺：" + "、".join(missing) if missing else f"公开清单完整度 {c.percent}%"))
    ok = sum(r.counted for r in records)
    average = round(sum(percents) / len(percents)) if percents else 0
    definition = (f"公开了{what}的机构（不含未登记场所）占机构总数的比例；按信息公开清单"
                  "（机构页面“信息公开完整度”）逐项核对。")
    value = (f"{ok} 家已公开，共 {len(records)} 家（{_pct(ok, len(records))}）；"
             f"公开清单平均完整度 {average}%")
    return _indicator(code, definition, ok, len(records), value, records)


def management_disclosure(subjects: Sequence[Subject]) -> Indicator:
    """4.13: filing, registration, credit code and grade published for each institution."""
    return _disclosure("4.13", subjects, MANAGEMENT_KEYS,
                       "统一社会信用代码、登记和备案信息、等级评定结果（适用的各项）")


def quality_disclosure(subjects: Sequence[Subject]) -> Indicator:
    """4.14: service items, prices and charging method published for each institution."""
    return _disclosure("4.14", subjects, QUALITY_KEYS, "服务项目、收费标准和收费方式")


def deposits(subjects: Sequence[Subject], period: Period) -> Indicator:
    """4.18: deposits taken, the dedicated-account coverage and deposits above the cap."""
    records = []
    total = Decimal(0)
    for s in subjects:
        inst = s.facts.institution
        if s.kind not in DEPOSIT_SERVICES or not inst.deposit_amount or inst.deposit_amount <= 0:
            continue
        total += inst.deposit_amount
        codes = {f.code for f in compute_flags(s.facts, period.today)}
        over = "，超过上限" if "deposit_over_cap" in codes else ""
        status = "专户存储" if inst.deposit_dedicated_account else "未专户存储"
        records.append(_record(s, status, inst.deposit_dedicated_account,
                               f"押金 {inst.deposit_amount:,.2f} 元{over}"))
    ok = sum(r.counted for r in records)
    over = sum("超过上限" in r.note for r in records)
    definition = ("公开收取押金（保证金）的养老服务机构中，押金存入专用账户的比例；另计押金合计金额和"
                  "超过月服务费用上限倍数的机构数。")
    value = (f"收取押金 {len(records)} 家，合计 {total:,.2f} 元；专户存储 {ok} 家，覆盖率 "
             f"{_pct(ok, len(records))}；超过上限 {over} 家")
    return _indicator("4.18", definition, ok, len(records), value, records)


def social_workers_per_100_beds(subjects: Sequence[Subject]) -> Indicator:
    """4.21: social workers per 100 beds, over 养老机构 that publish both numbers."""
    records = []
    workers = beds = 0
    for s in registered_residential(subjects):
        n, b = s.social_workers, s.facts.institution.beds_total
        if n is None or b <= 0:
            records.append(_record(s, "未公开", False))
            continue
        workers += n
        beds += b
        records.append(_record(s, "已计入", True, f"社会工作者 {n} 人，床位 {b} 张"))
    per100 = (Decimal(workers) * 100 / beds).quantize(Decimal("0.01"), ROUND_HALF_UP) if beds else None
    definition = ("公开了服务资源和床位数的养老机构：社会工作者人数合计 ÷ 床位总数 × 100，保留两位小数。")
    value = (f"每百张床位 {per100} 人（社会工作者 {workers} 人，床位 {beds} 张）" if beds
             else "没有公开服务资源和床位数的养老机构")
    return _indicator("4.21", definition, workers, beds, value, records, unit="人",
                      figure=per100, figure_unit="人/百张床位")


def compute_all(subjects: Sequence[Subject], inspections: Sequence[InspectionRow],
                penalties: Sequence[PenaltyRow], credit: Sequence[CreditRow],
                period: Period) -> list[Indicator]:
    """Every indicator the system can compute, in the form's order."""
    return [
        filed_onsite_check(subjects, period),
        unfiled_onsite_check(subjects, period),
        annual_inspection(subjects, period),
        hazard_rectification(subjects, inspections, period),
        penalties_in_year(subjects, penalties, period),
        blacklist_published(subjects, credit, period),
        gb38600_compliant(subjects),
        grading_coverage(subjects, period),
        meal_licences(subjects),
        fire_approval(subjects),
        management_disclosure(subjects),
        quality_disclosure(subjects),
        deposits(subjects, period),
        social_workers_per_100_beds(subjects),
    ]
