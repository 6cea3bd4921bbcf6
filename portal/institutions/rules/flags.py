"""The compliance flags' catalogue: every flag the checks (portal/institutions/rules/checks.py) can
raise, with its severity, its title and the rule it stands for, the rule text citing its seed
and showing the configured thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from portal.institutions.rules.facts import _every, _plain
from portal.institutions.rules.thresholds import (
    DEFAULT_THRESHOLDS,
    KUNMING,
    NEIMENGGU,
    SUZHOU,
    YOUYANG,
    Thresholds,
)

Severity = Literal["serious", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("serious", "warning", "info")
SEVERITY_LABELS = {"serious": "严重", "warning": "警示", "info": "提示"}

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
    # 消防审验: a status (portal/institutions/rules/fire_approval.py), not a sentence.
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


def flag(code: str, t: Thresholds, detail: str, **numbers: Any) -> Flag:
    """The catalogue's flag `code`, its rule text with the thresholds `t`."""
    severity, title, _rule = CATALOGUE[code]
    return Flag(code, severity, title, detail, rule_text(code, t), numbers)
