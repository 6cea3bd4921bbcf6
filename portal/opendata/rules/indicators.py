"""Supervision efficiency indicators (seed 004's 评估表) as pure rules over plain rows.

The caller (`indicators.py`) turns the database into `Subject`, `InspectionRow`, `PenaltyRow`
and `CreditRow` values; nothing here reads the database, the clock or the environment. Each
rule returns an `Indicator` carrying its definition, its numbers and the records behind them,
so a page, a drill-down and the XLSX all show one set of figures. The rules that read
inspections (2.5, 2.6, 3.5, 4.1) are in `inspection_indicators`; `compute_all` lists them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from portal.institutions.rules.checks import compute_flags
from portal.institutions.rules.completeness import completeness, serves_food
from portal.institutions.rules.fire_approval import STATUSES as FIRE_APPROVAL_STATUSES
from portal.institutions.rules.fire_approval import summary as fire_approval_summary
from portal.institutions.rules.thresholds import KUNMING
from portal.opendata.rules.indicator_types import (
    CreditRow,
    Indicator,
    InspectionRow,
    PenaltyRow,
    Period,
    Subject,
    registered_residential,
)
from portal.opendata.rules.indicator_types import make_indicator as _indicator
from portal.opendata.rules.indicator_types import pct as _pct
from portal.opendata.rules.indicator_types import record_of as _record

# 2.5, 2.6, 3.5 and 4.1 read inspections: their rules are in `inspection_indicators`.
from portal.opendata.rules.inspection_indicators import (  # noqa: F401 (re-exported)
    CHECK_DEPARTMENT,
    annual_inspection,
    check_deadline,
    filed_onsite_check,
    hazard_rectification,
    unfiled_onsite_check,
)

DEPOSIT_SERVICES = frozenset({"residential", "community"})


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


# Completeness items (completeness.DISCLOSURE_ITEMS keys) behind 4.13 and 4.14.
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


DEPOSIT_NOT_RECORDED = ("本平台只记录各机构公开的押金（保证金）标准和是否专户存储，没有记录实际收取的押金"
                        "金额合计、涉及老人人数和清退情况，这三项请人工填写。")


def deposits(subjects: Sequence[Subject], period: Period) -> Indicator:
    """4.18: deposits above the cap and without a dedicated account, from the published deposit
    standards; what the form also asks (amounts held, persons affected, refunds) is not recorded."""
    t = period.thresholds
    records = []
    over = unverifiable = 0
    for s in subjects:
        inst = s.facts.institution
        if s.kind not in DEPOSIT_SERVICES or not inst.deposit_amount or inst.deposit_amount <= 0:
            continue
        flags = {f.code: f for f in compute_flags(s.facts, period.today, t)}
        notes = [f"押金标准 {inst.deposit_amount:,.2f} 元"]
        if "deposit_over_cap" in flags:
            over += 1
            notes.append(f"超过上限：{flags['deposit_over_cap'].detail}")
        elif "deposit_may_exceed_cap" in flags:
            notes.append(f"可能超过部分老人的上限：{flags['deposit_may_exceed_cap'].detail}")
        elif "deposit_unverifiable" in flags:
            unverifiable += 1
            notes.append("未公开按月收取的服务费用，无法核对上限")
        dedicated = inst.deposit_dedicated_account
        status = "专户存储" if dedicated else "未专户存储"
        if "deposit_over_cap" in flags:
            status += "，超过上限"
        records.append(_record(s, status, dedicated, "；".join(notes)))
    ok = sum(r.counted for r in records)
    months = f"{t.deposit_max_months.normalize():f}"
    definition = (
        f"公开收取押金（保证金）的养老服务机构中：押金标准超过老年人月服务费用 {months} 倍上限的机构数"
        f"（按最高月服务费用核对），未存入专用账户的机构数，以及专户建立覆盖率。上限和专户要求："
        f"{t.deposit_source}{'（五）资金监管' if t.deposit_source == KUNMING else ''}（可由 PORTAL_CHECK_DEPOSIT_MAX_MONTHS 调整）。"
        + DEPOSIT_NOT_RECORDED
    )
    value = (f"公开收取押金 {len(records)} 家：押金标准超过上限 {over} 家，未专户存储 "
             f"{len(records) - ok} 家，无法核对上限 {unverifiable} 家；专户存储 {ok} 家，覆盖率 "
             f"{_pct(ok, len(records))}。收取金额、涉及人员、清退情况：本平台未记录")
    return _indicator("4.18", definition, ok, len(records), value, records,
                      not_recorded=DEPOSIT_NOT_RECORDED)


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
