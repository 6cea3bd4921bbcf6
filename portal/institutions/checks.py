"""Computed compliance flags for an institution (SPEC §2), with their configurable thresholds.

Pure rules: the caller turns ORM rows into the small frozen *Facts dataclasses of
portal.institutions.facts and passes `today`; nothing here reads the database, the clock or the
environment. Disclosure completeness is in portal.institutions.completeness.

Which rule applies to which kind of institution (the seeds' own scope words):
- 养老服务机构 (residential and community, as 内政办发〔2021〕26号 defines it): deposit, video,
  fire and emergency drills, fire approval, fee cycles.
- 养老机构 only (residential): caregiver ratio (the 昆明 ratio is for elders living in; for home
  and community staff the same text requires certificates instead, checked for community), GB
  38600 (a standard for 养老机构), filing (备案 is a 养老机构 duty), bed and admission consistency.
- Every kind: unregistered operation, overdue rectification, expired grade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_UP, Decimal, InvalidOperation
from fractions import Fraction
from math import ceil
from typing import Any, Literal, Self

# The facts, the monthly fee and completeness live in their own modules; their public names are
# re-exported here because callers think of them as part of "the checks".
from portal.institutions.completeness import (  # noqa: F401
    DISCLOSURE_ITEMS,
    Completeness,
    DisclosureItem,
    completeness,
    serves_food,
)
from portal.institutions.facts import (  # noqa: F401
    CARE_SERVICES,
    CENT,
    CYCLE_MONTHS,
    RESIDENTIAL,
    Facts,
    FeeFacts,
    GradeFacts,
    InspectionFacts,
    InstitutionFacts,
    MonthlyTotal,
    ResourceFacts,
    _every,
    _money,
    _plain,
    add_months,
    cn_date,
    fee_component,
    monthly_totals,
    yuan,
)
from portal.institutions.vocab import CARE_LEVELS, GRADES, RECTIFICATION_STATUSES

Severity = Literal["serious", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("serious", "warning", "info")
SEVERITY_LABELS = {"serious": "严重", "warning": "警示", "info": "提示"}

# The seeds (shared/seeds/), cited in each rule text.
SUZHOU = "苏州市苏府办〔2021〕248号"
ZHUZHOU = "株洲市养老服务综合监管实施方案（征求意见稿）"
KUNMING = "昆明市昆政办〔2021〕70号"
NEIMENGGU = "内蒙古自治区内政办发〔2021〕26号"
YOUYANG = "酉阳县民政局“养老服务监管效能提升年”通知（2023年）"


# --- thresholds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Configurable numbers behind the flags; defaults are the seeds' own numbers."""

    # 昆政办〔2021〕70号 (三) 从业人员监管: "原则上按中度、重度失能老年人不低于3:1、轻度失能老年人
    # 不低于6:1、自理老年人不低于10:1的比例配备养老护理人员" (elders per caregiver).
    severe_per_caregiver: int = 3
    mild_per_caregiver: int = 6
    self_care_per_caregiver: int = 10
    # 昆政办〔2021〕70号: 押金、保证金不得超过老年人月服务费用 3 倍，并建立专用账户存储.
    deposit_max_months: Decimal = Decimal(3)
    # 株洲 (征求意见稿): 不少于 15 天; 昆政办〔2021〕70号 says 不应少于 90 天.
    video_retention_days: int = 15
    # 苏府办〔2021〕248号: 每半年至少 1 次应急消防演练.
    fire_drill_months: int = 6
    # 株洲 (征求意见稿) and 内政办发〔2021〕26号: 每年至少 1 次应急演练.
    emergency_drill_months: int = 12
    # 苏府办〔2021〕248号 and 株洲: 定期或不定期举办“开放日”活动 (no period given; ours).
    open_day_period_days: int = 180
    # 株洲 (征求意见稿) (一): 自备案之日起、自发现其收住老年人之日起 20 个工作日内进行现场检查;
    # 酉阳 评估表 2.5、2.6 (《养老机构管理办法》) say 20 as well; 昆政办〔2021〕70号 (一) 2、3
    # says 10 working days (set PORTAL_CHECK_ONSITE_CHECK_WORKING_DAYS=10 and the source).
    onsite_check_working_days: int = 20
    onsite_check_source: str = f"{ZHUZHOU}（一）；{YOUYANG}评估表 2.5、2.6（《养老机构管理办法》）"
    caregiver_ratio_source: str = f"{KUNMING}（三）从业人员监管"
    deposit_source: str = KUNMING
    video_retention_source: str = ZHUZHOU
    fire_drill_source: str = SUZHOU
    emergency_drill_source: str = f"{ZHUZHOU}；{NEIMENGGU}"
    open_day_source: str = f"{SUZHOU}；{ZHUZHOU}"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int | Decimal) and value <= 0:
                raise ValueError(f"threshold {f.name} must be positive, got {value}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> Self:
        """Build from settings or environment values (strings are converted); unknown keys fail.

        Keys are the field names, case-insensitive: {"video_retention_days": "90",
        "video_retention_source": "昆明市昆政办〔2021〕70号"}.
        """
        defaults = cls()
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, raw in values.items():
            name = key.lower()
            if name not in known:
                raise ValueError(f"unknown threshold {key!r}; known: {', '.join(sorted(known))}")
            kwargs[name] = _convert(name, raw, getattr(defaults, name))
        return cls(**kwargs)


def _convert(name: str, raw: object, default: object) -> object:
    try:
        if isinstance(default, bool) or isinstance(raw, bool):
            raise TypeError
        if isinstance(default, int):
            if isinstance(raw, float) and raw.is_integer():
                return int(raw)
            if isinstance(raw, int | str):
                return int(raw)
            raise TypeError
        if isinstance(default, Decimal):
            value = Decimal(str(raw).strip())
            if not value.is_finite():
                raise ValueError
            return value
        return str(raw)
    except (TypeError, ValueError, InvalidOperation):
        raise ValueError(f"threshold {name} must be a number like {default}, got {raw!r}") from None


DEFAULT_THRESHOLDS = Thresholds()


def configured_thresholds(pairs: tuple[tuple[str, str], ...]) -> Thresholds:
    """The thresholds from settings (PORTAL_CHECK_* pairs), or the defaults."""
    return Thresholds.from_mapping(dict(pairs)) if pairs else DEFAULT_THRESHOLDS


# --- flags ------------------------------------------------------------------------------------

# Every flag the checks can raise: code -> (severity, title, rule). The rule is formatted with
# the thresholds (`t`) and a few derived values, so a configured number shows in its rule.
CATALOGUE: dict[str, tuple[Severity, str, str]] = {
    "unregistered": (
        "serious",
        "未登记从事养老服务",
        f"依法打击无证无照或未备案从事养老服务的行为（{SUZHOU}）",
    ),
    "unfiled": (
        "warning",
        "未备案",
        f"养老机构应当向民政部门备案，未备案从事养老服务的依法查处（{SUZHOU}）",
    ),
    # One rule, two severities: "原则上" (seed 002) leaves room, so a shortfall of less than one
    # caregiver is a warning and one or more is serious.
    "caregiver_ratio": ("serious", "护理员配比不足", "{caregiver_rule}"),
    "caregiver_ratio_marginal": ("warning", "护理员配比略有不足", "{caregiver_rule}"),
    "uncertified_staff": (
        "warning",
        "从业人员未全部持证",
        f"从事居家和社区养老服务的从业人员必须取得初级以上执业资格证书（{KUNMING}（三）从业人员监管）",
    ),
    "prepaid_fees": (
        "warning",
        "服务费未按月收取",
        f"原则上床位、护理、伙食等费用按月收取（{NEIMENGGU}）",
    ),
    "deposit_not_dedicated": ("serious", "押金未专户存储", "{deposit_rule}"),
    "deposit_over_cap": ("serious", "押金超过上限", "{deposit_rule}"),
    "deposit_may_exceed_cap": ("warning", "押金可能超过部分老人的上限", "{deposit_rule}"),
    "deposit_unverifiable": ("info", "无法核对押金上限", "{deposit_rule}"),
    "video_coverage": (
        "warning",
        "视频监控未全覆盖",
        "养老服务机构应在出入口、接待大厅、值班室、楼道、食堂等公共场所安装视频监控设施，"
        f"实现全覆盖（{SUZHOU}）",
    ),
    "video_retention": (
        "warning",
        "视频监控保存时间不足",
        "视频监控记录保存时间不少于 {t.video_retention_days} 天（{t.video_retention_source}）",
    ),
    # 消防审验: a status (portal/institutions/fire_approval.py), not a sentence.
    "fire_approval": ("serious", "消防审验未通过", "{fire_approval_rule}"),
    "fire_approval_in_progress": ("warning", "消防审验尚在办理", "{fire_approval_rule}"),
    "fire_approval_undisclosed": ("warning", "未公开消防审验状态", "{fire_approval_rule}"),
    "fire_drill_missing": ("serious", "没有消防演练记录", "{fire_rule}"),
    "fire_drill_overdue": ("serious", "消防演练逾期", "{fire_rule}"),
    "emergency_drill_missing": ("warning", "没有应急演练记录", "{emergency_rule}"),
    "emergency_drill_overdue": ("warning", "应急演练逾期", "{emergency_rule}"),
    "grade_expired": (
        "warning",
        "等级评定已过有效期",
        "等级评定结果在有效期内有效，期满应重新评定（GB/T 37276《养老机构等级划分与评定》）",
    ),
    "gb38600": (
        "serious",
        "未达到服务安全强制性国家标准",
        "养老机构应达到强制性国家标准《养老机构服务安全基本规范》（GB 38600-2019），"
        f"2022年底前全部达标（{SUZHOU}；{NEIMENGGU}）",
    ),
    "rectification_overdue": (
        "serious",
        "整改逾期",
        f"检查发现的问题应在限期内整改，未按期整改的联合有关部门下达停业整顿通知书（{KUNMING}）",
    ),
    "open_day_overdue": (
        "warning",
        "近期未举办开放日",
        "定期举办“开放日”活动，鼓励支持人大代表、政协委员、新闻媒体和社会公众监督"
        "（{t.open_day_source}）；本平台按每 {t.open_day_period_days} 天至少 1 次核对",
    ),
    "over_capacity": (
        "info",
        "在住老人多于床位",
        "在住老人人数不应超过公开的床位总数（公开信息一致性核对）",
    ),
    "admission_mismatch": (
        "info",
        "在住老人与收住对象不符",
        "公开的收住对象应与实际收住的老人一致（公开信息一致性核对）",
    ),
}


@dataclass(frozen=True)
class Flag:
    code: str
    severity: Severity
    title: str
    detail: str  # the numbers behind the flag, in a Chinese sentence without a final 。
    rule: str  # the rule and its source
    numbers: dict[str, Any] = field(default_factory=dict)  # JSON-ready: ints, strings, lists

    @property
    def text(self) -> str:
        return f"{self.title}：{self.detail}"


def rule_text(code: str, t: Thresholds = DEFAULT_THRESHOLDS) -> str:
    months = _plain(t.deposit_max_months)
    return CATALOGUE[code][2].format(
        t=t,
        caregiver_rule=f"护理员与老人配比原则上不低于：中重度失能 1:{t.severe_per_caregiver}、轻度失能 "
        f"1:{t.mild_per_caregiver}、自理 1:{t.self_care_per_caregiver}（{t.caregiver_ratio_source}）；"
        "本平台按各档老人数折算所需护理员（不逐档取整）相加后与现有人数比较，缺口不足 1 人为警示，"
        "1 人及以上为严重",
        fire_approval_rule="养老服务机构应依法取得消防审验（消防验收、备案或消防安全检查）合格手续"
        f"（{SUZHOU} 任务分解表第 4 项：排查整治未依法取得消防许可从事相关经营活动的；{YOUYANG}"
        "（二）继续解决消防审验突出问题，评估表 4.9）",
        deposit_rule=f"押金、保证金不得超过老年人月服务费用的 {months} 倍，并建立专用账户存储"
        f"（{t.deposit_source}）",
        fire_rule=f"养老服务机构{_every(t.fire_drill_months)}至少开展 1 次消防演练"
        f"（{t.fire_drill_source}）",
        emergency_rule=f"养老服务机构{_every(t.emergency_drill_months)}至少开展 1 次应急演练"
        f"（{t.emergency_drill_source}）",
    )


def _flag(code: str, t: Thresholds, detail: str, **numbers: Any) -> Flag:
    severity, title, _rule = CATALOGUE[code]
    return Flag(code, severity, title, detail, rule_text(code, t), numbers)


def _elders(code: str) -> str:
    return f"{CARE_LEVELS[code]}老人"


def _registration(f: Facts, t: Thresholds) -> list[Flag]:
    inst = f.institution
    if inst.filing_status == "unregistered":
        return [_flag("unregistered", t, "该场所未依法办理登记即从事养老服务")]
    if inst.filing_status == "registered_unfiled" and inst.kind in RESIDENTIAL:
        return [_flag("unfiled", t, "已办理登记，但未向民政部门备案")]
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
            _flag(
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
        _flag(
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
        flags.append(_flag("over_capacity", t, detail, elders=total, beds_total=inst.beds_total))
    for code, count, admitted in (
        ("severe", res.elders_severe, inst.admits_severe),
        ("mild", res.elders_mild, inst.admits_mild),
        ("self_care", res.elders_self_care, inst.admits_self_care),
    ):
        if count > 0 and not admitted:
            detail = f"公开的收住对象不含{_elders(code)}，但在住{_elders(code)} {count} 人"
            flags.append(_flag("admission_mismatch", t, detail, care_level=code, elders=count))
    return flags


def _fees_and_deposit(f: Facts, today: date, t: Thresholds) -> list[Flag]:
    inst = f.institution
    if inst.kind not in CARE_SERVICES:
        return []
    flags = []
    prepaid = [x for x in f.fees if x.current_on(today) and CYCLE_MONTHS.get(x.cycle, 1) > 1]
    if prepaid:
        detail = "、".join(f"{x.item}按{x.cycle}收取 {yuan(x.price)}" for x in prepaid)
        flags.append(_flag("prepaid_fees", t, detail, items=[x.item for x in prepaid]))
    amount = inst.deposit_amount
    if amount is None or amount <= 0:
        return flags
    if not inst.deposit_dedicated_account:
        detail = f"收取押金 {yuan(amount)}，未存入专用账户"
        flags.append(_flag("deposit_not_dedicated", t, detail, deposit=_money(amount)))
    totals = monthly_totals(f.fees, today)
    if not totals:
        detail = f"收取押金 {yuan(amount)}，但未公开按月收取的服务费用"
        return [*flags, _flag("deposit_unverifiable", t, detail, deposit=_money(amount))]
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
        flags.append(_flag("deposit_over_cap", t, detail, **numbers))
    elif amount > low * months:
        detail = (
            f"押金 {yuan(amount)}，超过最低月服务费用 {yuan(low)}的 {times}"
            f"（{yuan(low * months)}）；按最高月服务费用 {yuan(high)}计上限为 {yuan(high * months)}"
        )
        flags.append(_flag("deposit_may_exceed_cap", t, detail, **numbers))
    return flags


def _video(res: ResourceFacts, t: Thresholds) -> list[Flag]:
    if not res.video_coverage:
        detail = "未在出入口、接待大厅、值班室、楼道、食堂等公共场所实现视频监控覆盖"
        return [_flag("video_coverage", t, detail, video_coverage=False)]
    days, need = res.video_retention_days, t.video_retention_days
    if days < need:
        detail = f"视频监控记录保存 {days} 天，要求不少于 {need} 天"
        return [_flag("video_retention", t, detail, retention_days=days, required_days=need)]
    return []


def _drill(
    code: str, name: str, last: date | None, months: int, today: date, t: Thresholds
) -> list[Flag]:
    if last is None:
        detail = f"未公开任何{name}日期，要求{_every(months)}至少 1 次"
        return [_flag(f"{code}_missing", t, detail, months=months)]
    due = add_months(last, months)
    if today <= due:
        return []
    late = (today - due).days
    detail = f"最近一次{name}在{cn_date(last)}，应在{cn_date(due)}前再次开展，已逾期 {late} 天"
    return [
        _flag(
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
        return [_flag("fire_approval", t, detail, **numbers)]
    if status == "in_progress":
        since = f"，{cn_date(when)}申请" if when else ""
        detail = f"消防审验手续正在办理{since}，尚未取得合格手续{said}"
        return [_flag("fire_approval_in_progress", t, detail, **numbers)]
    if status == "not_required":
        detail = "公开为“无需办理”，但养老机构应取得消防审验合格手续"
    elif note:
        detail = f"未按规定公开消防审验状态（原填写“{note}”）"
    else:
        detail = "服务资源中未公开消防审验状态"
    return [_flag("fire_approval_undisclosed", t, detail, **numbers)]


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
            _flag(
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
        flags.append(_flag("gb38600", t, detail, awarded_on=g.awarded_on.isoformat()))
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
            _flag(
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
        return [_flag("open_day_overdue", t, detail, period_days=period)]
    days = (today - f.last_open_day).days
    if days <= period:
        return []
    detail = (f"最近一次开放日在{cn_date(f.last_open_day)}，已 {days} 天未举办，"
              f"要求每 {period} 天至少 1 次")
    return [_flag("open_day_overdue", t, detail, last=f.last_open_day.isoformat(),
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
