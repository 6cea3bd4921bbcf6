"""Computed compliance flags for an institution (SPEC §2): the rules.

Pure rules: the caller turns ORM rows into the small frozen *Facts dataclasses of
portal.institutions.rules.facts and passes `today`; nothing here reads the database, the clock or the
environment. The flags' catalogue (titles, severities, rule texts) is portal.institutions.rules.flags,
their configurable numbers portal.institutions.rules.thresholds; disclosure completeness is
portal.institutions.rules.completeness.

Which rule applies to which kind of institution (the seeds' own scope words):
- 养老服务机构 (residential and community, as 内政办发〔2021〕26号 defines it): deposit, video,
  fire and emergency drills, fire approval, fee cycles.
- 养老机构 only (residential): caregiver ratio (the 昆明 ratio is for elders living in; for home
  and community staff the same text requires certificates instead, checked for community), GB
  38600 (a standard for 养老机构), filing (备案 is a 养老机构 duty), bed and admission consistency.
- Every kind: unregistered operation, overdue rectification, expired grade.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_UP, Decimal
from fractions import Fraction
from math import ceil

from portal.institutions.rules.facts import (
    CARE_SERVICES,
    CENT,
    CYCLE_MONTHS,
    RESIDENTIAL,
    Facts,
    ResourceFacts,
    _every,
    _money,
    _plain,
    add_months,
    cn_date,
    monthly_totals,
    yuan,
)
from portal.institutions.rules.flags import SEVERITIES, Flag, flag
from portal.institutions.rules.thresholds import DEFAULT_THRESHOLDS, Thresholds
from portal.institutions.vocab import CARE_LEVELS, GRADES, RECTIFICATION_STATUSES


def _elders(code: str) -> str:
    return f"{CARE_LEVELS[code]}老人"


def _registration(f: Facts, t: Thresholds) -> list[Flag]:
    inst = f.institution
    if inst.filing_status == "unregistered":
        return [flag("unregistered", t, "该场所未依法办理登记即从事养老服务")]
    if inst.filing_status == "registered_unfiled" and inst.kind in RESIDENTIAL:
        return [flag("unfiled", t, "已办理登记，但未向民政部门备案")]
    return []


def caregivers_required(res: ResourceFacts, t: Thresholds) -> dict[str, Fraction]:
    """Caregivers needed per care level, exactly: elders divided by the ratio, not rounded.

    Rounding each level up before adding overstates the need (6/9/15 elders at 3:1/6:1/10:1
    need 2 + 1.5 + 1.5 = 5 caregivers, not 2 + 2 + 2 = 6)."""
    return {
        "severe": Fraction(res.elders_severe, t.severe_per_caregiver),
        "mild": Fraction(res.elders_mild, t.mild_per_caregiver),
        "self_care": Fraction(res.elders_self_care, t.self_care_per_caregiver),
    }


def people(value: Fraction) -> str:
    """A number of people to at most two decimals, rounded up so a shortfall never reads as
    none: 5 -> '5.0', 21.5 -> '21.5', 43/3 -> '14.34'."""
    shown = f"{(Decimal(value.numerator) / value.denominator).quantize(CENT, ROUND_UP):.2f}"
    return shown[:-1] if shown.endswith("0") else shown


def _staffing(f: Facts, t: Thresholds) -> list[Flag]:
    res, kind = f.resources, f.institution.kind
    if res is None:
        return []
    if kind == "community" and res.certified_caregivers < res.caregivers:
        short = res.caregivers - res.certified_caregivers
        detail = (
            f"护理员 {res.caregivers} 人，持初级以上证书 {res.certified_caregivers} 人，"
            f"未持证 {short} 人"
        )
        return [
            flag(
                "uncertified_staff",
                t,
                detail,
                caregivers=res.caregivers,
                certified=res.certified_caregivers,
            )
        ]
    needs = caregivers_required(res, t)
    required = sum(needs.values(), Fraction(0))
    have = res.caregivers
    shortfall = required - have
    if kind not in RESIDENTIAL or shortfall <= 0:
        return []
    elders = {
        "severe": res.elders_severe,
        "mild": res.elders_mild,
        "self_care": res.elders_self_care,
    }
    shown = [code for code in needs if elders[code] > 0]
    short = f"现有 {have} 人，缺 {people(shortfall)} 人"
    if len(shown) == 1:
        code = shown[0]
        detail = f"{_elders(code)} {elders[code]} 人，需护理员 {people(needs[code])} 人，{short}"
    else:
        parts = "、".join(f"{_elders(c)} {elders[c]} 人（需 {people(needs[c])} 人）" for c in shown)
        detail = f"{parts}，合计需护理员 {people(required)} 人，{short}"
    numbers = {f"elders_{c}": n for c, n in elders.items()} | {
        f"required_{c}": people(n) for c, n in needs.items()
    }
    code = "caregiver_ratio" if shortfall >= 1 else "caregiver_ratio_marginal"
    return [
        flag(
            code,
            t,
            detail,
            caregivers=have,
            required=ceil(required),
            required_exact=people(required),
            shortfall=people(shortfall),
            **numbers,
        )
    ]


def _consistency(f: Facts, t: Thresholds) -> list[Flag]:
    inst, res = f.institution, f.resources
    if inst.kind not in RESIDENTIAL or res is None:
        return []
    flags = []
    total = res.elders_self_care + res.elders_mild + res.elders_severe
    if 0 < inst.beds_total < total:
        detail = f"在住老人 {total} 人，公开的床位总数 {inst.beds_total} 张"
        flags.append(flag("over_capacity", t, detail, elders=total, beds_total=inst.beds_total))
    for code, count, admitted in (
        ("severe", res.elders_severe, inst.admits_severe),
        ("mild", res.elders_mild, inst.admits_mild),
        ("self_care", res.elders_self_care, inst.admits_self_care),
    ):
        if count > 0 and not admitted:
            detail = f"公开的收住对象不含{_elders(code)}，但在住{_elders(code)} {count} 人"
            flags.append(flag("admission_mismatch", t, detail, care_level=code, elders=count))
    return flags


def _fees_and_deposit(f: Facts, today: date, t: Thresholds) -> list[Flag]:
    inst = f.institution
    if inst.kind not in CARE_SERVICES:
        return []
    flags = []
    prepaid = [x for x in f.fees if x.current_on(today) and CYCLE_MONTHS.get(x.cycle, 1) > 1]
    if prepaid:
        detail = "、".join(f"{x.item}按{x.cycle}收取 {yuan(x.price)}" for x in prepaid)
        flags.append(flag("prepaid_fees", t, detail, items=[x.item for x in prepaid]))
    amount = inst.deposit_amount
    if amount is None or amount <= 0:
        return flags
    if not inst.deposit_dedicated_account:
        detail = f"收取押金 {yuan(amount)}，未存入专用账户"
        flags.append(flag("deposit_not_dedicated", t, detail, deposit=_money(amount)))
    totals = monthly_totals(f.fees, today)
    if not totals:
        detail = f"收取押金 {yuan(amount)}，但未公开按月收取的服务费用"
        return [*flags, flag("deposit_unverifiable", t, detail, deposit=_money(amount))]
    months = t.deposit_max_months
    low = min(x.low for x in totals.values())
    high = max(x.high for x in totals.values())
    numbers = {
        "deposit": _money(amount),
        "monthly_low": _money(low),
        "monthly_high": _money(high),
        "max_months": _plain(months),
        "cap_low": _money(low * months),
        "cap_high": _money(high * months),
    }
    times = f"{_plain(months)} 倍"
    if amount > high * months:
        detail = (
            f"押金 {yuan(amount)}，超过月服务费用 {yuan(high)}的 {times}（{yuan(high * months)}），"
            f"多收 {yuan(amount - high * months)}"
        )
        flags.append(flag("deposit_over_cap", t, detail, **numbers))
    elif amount > low * months:
        detail = (
            f"押金 {yuan(amount)}，超过最低月服务费用 {yuan(low)}的 {times}"
            f"（{yuan(low * months)}）；按最高月服务费用 {yuan(high)}计上限为 {yuan(high * months)}"
        )
        flags.append(flag("deposit_may_exceed_cap", t, detail, **numbers))
    return flags


def _video(res: ResourceFacts, t: Thresholds) -> list[Flag]:
    if not res.video_coverage:
        detail = "未在出入口、接待大厅、值班室、楼道、食堂等公共场所实现视频监控覆盖"
        return [flag("video_coverage", t, detail, video_coverage=False)]
    days, need = res.video_retention_days, t.video_retention_days
    if days < need:
        detail = f"视频监控记录保存 {days} 天，要求不少于 {need} 天"
        return [flag("video_retention", t, detail, retention_days=days, required_days=need)]
    return []


def _drill(
    code: str, name: str, last: date | None, months: int, today: date, t: Thresholds
) -> list[Flag]:
    if last is None:
        detail = f"未公开任何{name}日期，要求{_every(months)}至少 1 次"
        return [flag(f"{code}_missing", t, detail, months=months)]
    due = add_months(last, months)
    if today <= due:
        return []
    late = (today - due).days
    detail = f"最近一次{name}在{cn_date(last)}，应在{cn_date(due)}前再次开展，已逾期 {late} 天"
    return [
        flag(
            f"{code}_overdue",
            t,
            detail,
            last=last.isoformat(),
            due=due.isoformat(),
            days_overdue=late,
            months=months,
        )
    ]


def _fire_approval(f: Facts, t: Thresholds) -> list[Flag]:
    res = f.resources
    assert res is not None
    status, when, note = res.fire_approval_status, res.fire_approval_date, res.fire_approval
    residential = f.institution.kind in RESIDENTIAL
    if status == "passed" or (status == "not_required" and not residential):
        return []
    numbers = {"status": status, "date": when.isoformat() if when else None}
    said = f"，说明：{note}" if note else ""
    if status == "failed":
        on = f"（{cn_date(when)}）" if when else ""
        detail = f"公开的消防审验状态为“未通过”{on}{said}"
        return [flag("fire_approval", t, detail, **numbers)]
    if status == "in_progress":
        since = f"，{cn_date(when)}申请" if when else ""
        detail = f"消防审验手续正在办理{since}，尚未取得合格手续{said}"
        return [flag("fire_approval_in_progress", t, detail, **numbers)]
    if status == "not_required":
        detail = "公开为“无需办理”，但养老机构应取得消防审验合格手续"
    elif note:
        detail = f"未按规定公开消防审验状态（原填写“{note}”）"
    else:
        detail = "服务资源中未公开消防审验状态"
    return [flag("fire_approval_undisclosed", t, detail, **numbers)]


def _safety(f: Facts, today: date, t: Thresholds) -> list[Flag]:
    res = f.resources
    if f.institution.kind not in CARE_SERVICES or res is None:
        return []
    flags = _video(res, t) + _fire_approval(f, t)
    flags += _drill("fire_drill", "消防演练", res.last_fire_drill, t.fire_drill_months, today, t)
    flags += _drill(
        "emergency_drill", "应急演练", res.last_emergency_drill, t.emergency_drill_months, today, t
    )
    return flags


def _grade(f: Facts, today: date, t: Thresholds) -> list[Flag]:
    g = f.grade
    if g is None:
        return []
    flags = []
    if g.valid_until is not None and today > g.valid_until:
        late = (today - g.valid_until).days
        detail = (
            f"{GRADES.get(g.level, g.level)}（{cn_date(g.awarded_on)}评定）有效期至"
            f"{cn_date(g.valid_until)}，已过期 {late} 天"
        )
        flags.append(
            flag(
                "grade_expired",
                t,
                detail,
                level=g.level,
                valid_until=g.valid_until.isoformat(),
                days_expired=late,
            )
        )
    if f.institution.kind in RESIDENTIAL and not g.gb38600_compliant:
        detail = (
            f"{cn_date(g.awarded_on)}评定结论：未达到《养老机构服务安全基本规范》（GB 38600-2019）"
        )
        flags.append(flag("gb38600", t, detail, awarded_on=g.awarded_on.isoformat()))
    return flags


def _rectifications(f: Facts, today: date, t: Thresholds) -> list[Flag]:
    flags = []
    for insp in sorted(
        f.inspections, key=lambda i: (i.rectification_deadline or today, i.inspected_on)
    ):
        status, deadline = insp.rectification_status, insp.rectification_deadline
        late = (today - deadline).days if deadline else 0
        if status in ("done", "none_required") or (status != "overdue" and late <= 0):
            continue
        by = f"（{insp.department_name}）" if insp.department_name else ""
        when = f"整改期限为{cn_date(deadline)}" if deadline else "未载明整改期限"
        days = f"，已逾期 {late} 天" if late > 0 else ""
        label = RECTIFICATION_STATUSES.get(status, status)
        detail = f"{cn_date(insp.inspected_on)}检查{by}发现的问题，{when}{days}，状态：{label}"
        flags.append(
            flag(
                "rectification_overdue",
                t,
                detail,
                inspected_on=insp.inspected_on.isoformat(),
                deadline=deadline.isoformat() if deadline else None,
                days_overdue=max(late, 0),
                status=status,
            )
        )
    return flags


def _open_days(f: Facts, today: date, t: Thresholds) -> list[Flag]:
    if not f.open_days_checked or f.institution.kind not in RESIDENTIAL:
        return []
    period = t.open_day_period_days
    if f.last_open_day is None:
        detail = f"平台上没有已举办的开放日记录，要求每 {period} 天至少 1 次"
        return [flag("open_day_overdue", t, detail, period_days=period)]
    days = (today - f.last_open_day).days
    if days <= period:
        return []
    detail = (f"最近一次开放日在{cn_date(f.last_open_day)}，已 {days} 天未举办，"
              f"要求每 {period} 天至少 1 次")
    return [flag("open_day_overdue", t, detail, last=f.last_open_day.isoformat(),
                  days_since=days, period_days=period)]


def compute_flags(
    facts: Facts, today: date, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> list[Flag]:
    """Every flag that applies: serious first, then warnings, then notes; stable within each."""
    t = thresholds
    flags = [
        *_registration(facts, t),
        *_staffing(facts, t),
        *_fees_and_deposit(facts, today, t),
        *_safety(facts, today, t),
        *_grade(facts, today, t),
        *_rectifications(facts, today, t),
        *_open_days(facts, today, t),
        *_consistency(facts, t),
    ]
    return sorted(flags, key=lambda fl: SEVERITIES.index(fl.severity))
