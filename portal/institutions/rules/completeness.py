"""Disclosure completeness: which mandatory items of SPEC §2's 信息公开清单 an institution has
not published. Pure: reads only the Facts it is given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portal.institutions.rules.facts import CARE_SERVICES, RESIDENTIAL, Facts

# --- disclosure completeness ------------------------------------------------------------------


def serves_food(facts: Facts) -> bool:
    """Given, or assumed for 养老机构, or read from a meal fee (餐/伙食) in the fee table."""
    inst = facts.institution
    if inst.serves_food is not None:
        return inst.serves_food
    return inst.kind in RESIDENTIAL or any(w in x.item for x in facts.fees for w in ("餐", "伙食"))


def _filled(*paths: str) -> Callable[[Facts], bool]:
    """Present when every dotted attribute is set (non-blank, non-zero, non-empty)."""

    def present(facts: Facts) -> bool:
        for path in paths:
            value: Any = facts
            for part in path.split("."):
                value = getattr(value, part, None)
            if not (value.strip() if isinstance(value, str) else value):
                return False
        return True

    return present


def _rule(*words: str) -> Callable[[Facts], bool]:
    return lambda f: any(w in title for title in f.rule_titles for w in words)


@dataclass(frozen=True)
class DisclosureItem:
    key: str
    label: str
    kinds: frozenset[str]
    present: Callable[[Facts], bool]
    applies: Callable[[Facts], bool] = lambda f: True


ANY_KIND = frozenset({"residential", "community", "assessment", "training"})
_OTHER = frozenset({"assessment", "training"})


def _filed(f: Facts) -> bool:
    return f.institution.filing_status == "filed"


def _dedicated(f: Facts) -> bool:
    return (f.institution.deposit_amount or 0) > 0 and f.institution.deposit_dedicated_account


def _admits(f: Facts) -> bool:
    inst = f.institution
    return inst.admits_self_care or inst.admits_mild or inst.admits_severe


def _video_disclosed(f: Facts) -> bool:
    res = f.resources
    return res is not None and (not res.video_coverage or res.video_retention_days > 0)


def _fire_approval_disclosed(f: Facts) -> bool:
    # A status, not just text: free text that says nothing clear is not a disclosure.
    return f.resources is not None and f.resources.fire_approval_status is not None


def _deposit_disclosed(f: Facts) -> bool:
    return f.institution.deposit_amount is not None


# SPEC §2 信息公开清单 as data: what each kind must publish. Government-entered records
# (inspections, penalties, credit lists) are not the institution's to complete and are left
# out; the grade is in for 养老机构 (an ungraded one has nothing to show). Rule documents are
# matched by words in their titles; the four named are the ones the seeds require (入院评估制度
# 昆明, 员工守则 株洲/昆明/内蒙古, 纠纷处理 苏州/株洲, 应急预案 all five).
# fmt: off
DISCLOSURE_ITEMS: tuple[DisclosureItem, ...] = tuple(DisclosureItem(*row) for row in (
    ("credit_code", "统一社会信用代码", ANY_KIND, _filled("institution.credit_code")),
    ("registration", "登记证号及登记日期", ANY_KIND, _filled("institution.registration_no", "institution.registration_date")),
    ("filing", "备案编号及备案日期", RESIDENTIAL, _filled("institution.filing_no", "institution.filing_date"), _filed),
    ("address", "地址", ANY_KIND, _filled("institution.address")),
    ("street", "所在街道（乡镇）", ANY_KIND, _filled("institution.street_id")),
    ("legal_representative", "法定代表人", ANY_KIND, _filled("institution.legal_representative")),
    ("phone", "联系电话", ANY_KIND, _filled("institution.phone")),
    ("opened_year", "开业年份", ANY_KIND, _filled("institution.opened_year")),
    ("beds", "床位总数", RESIDENTIAL, _filled("institution.beds_total")),
    ("admitted", "收住对象（自理/轻度失能/中重度失能）", RESIDENTIAL, _admits),
    ("fees", "服务项目和收费标准", ANY_KIND, _filled("fees")),
    ("deposit", "押金（保证金）收取说明", RESIDENTIAL, _deposit_disclosed),
    ("deposit_bank", "押金专用账户开户银行", CARE_SERVICES, _filled("institution.deposit_bank"), _dedicated),
    ("rule_admission", "规章制度：入院评估制度", RESIDENTIAL, _rule("入院评估", "入住评估")),
    ("rule_staff", "规章制度：员工守则", CARE_SERVICES, _rule("员工守则", "从业人员守则", "职业道德")),
    ("rule_complaints", "规章制度：投诉处理（纠纷调解）制度", CARE_SERVICES, _rule("投诉", "纠纷")),
    ("rule_emergency", "规章制度：突发事件应急预案", CARE_SERVICES, _rule("应急预案", "应急处置")),
    ("rules", "规章制度", _OTHER, _filled("rule_titles")),
    ("resources", "服务资源（人员配备、在住老人）", CARE_SERVICES, _filled("resources")),
    ("video", "视频监控覆盖及保存天数", CARE_SERVICES, _video_disclosed),
    ("fire_approval", "消防审验情况", CARE_SERVICES, _fire_approval_disclosed),
    ("food_licence", "食品经营许可", ANY_KIND, _filled("resources.food_licence"), serves_food),
    ("fire_drill", "消防演练记录", CARE_SERVICES, _filled("resources.last_fire_drill")),
    ("emergency_drill", "应急演练记录", CARE_SERVICES, _filled("resources.last_emergency_drill")),
    ("grade", "等级评定及 GB 38600 达标情况", RESIDENTIAL, _filled("grade")),
    ("credit_commitment", "信用承诺书", ANY_KIND, _filled("credit_commitment")),
))
# fmt: on


@dataclass(frozen=True)
class Completeness:
    missing: list[str]  # labels, in DISCLOSURE_ITEMS order
    present: int
    total: int
    missing_keys: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else self.present * 100 // self.total


def completeness(facts: Facts) -> Completeness:
    """Which mandatory disclosure items this institution has not published."""
    items = [i for i in DISCLOSURE_ITEMS if facts.institution.kind in i.kinds and i.applies(facts)]
    missing = [i for i in items if not i.present(facts)]
    return Completeness(
        missing=[i.label for i in missing],
        present=len(items) - len(missing),
        total=len(items),
        missing_keys=[i.key for i in missing],
    )
