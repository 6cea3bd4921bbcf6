"""Credit blockers (守信激励核查): what keeps an institution off the red list on a date.

Pure rules: the caller turns rows into the frozen facts below and passes `today` and the
look-back period; nothing here reads the database, the clock or the environment.

What the seeds say, and how it is read here:
- The red list is for institutions 信誉度优良、诚信水平和评估等级较高 (苏府办〔2021〕248号
  三（四）, and its task list item 41): an institution with an open breach is not one.
- The written commitment's 履约情况 goes into the credit record and a breach is punished
  (株洲 实施方案（征求意见稿） (一)；昆政办〔2021〕70号 (十四)；内政办发〔2021〕26号 (十七)).
  Who judges it is civil affairs, which runs the sector's credit supervision (株洲 and 昆明,
  部门职责: 民政部门 … 开展养老服务机构信用监管), never the institution itself: the latest
  履约评价 of civil affairs (FulfilmentAssessment) counts, the institution's own words do not.
- 抽查检查结果、行政处罚、奖惩情况 are published as credit information (株洲 (十四)；
  内政办发〔2021〕26号 (十八)); 对未按期整改的 … 下达停业整顿通知书 (昆政办〔2021〕70号, 备案):
  an overdue rectification and a penalty are blockers.
- 投诉举报多 … 有失信行为 … 增加抽查频次 (昆政办〔2021〕70号 (十三)): a complaint that the
  answering office found substantiated (查实) or partly so (部分查实) is a blocker; 不属实,
  无法核实 and complaints answered before outcomes were recorded (unknown) are not.
No seed names a period for "recent": penalties, complaints and assessments count within
`lookback_days` (PORTAL_CREDIT_LOOKBACK_DAYS, default 365: one year, the cycle of the seeds'
annual work — 每年对辖区养老机构综合督导 (酉阳县 (六)) and the yearly 抽查计划 (内政办发〔2021〕26号
(十六))). An overdue rectification counts until it is done, however old.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from portal.institutions.rules.facts import cn_date

Severity = Literal["serious", "warning"]

SUZHOU_RED = "苏府办〔2021〕248号 三（四）"
COMMITMENT_RULE = "株洲实施方案（征求意见稿）(一)；昆政办〔2021〕70号 (十四)"
RECTIFICATION_RULE = "昆政办〔2021〕70号：未按期整改的，联合有关部门下达停业整顿通知书"
PENALTY_RULE = "株洲实施方案（征求意见稿）(十四)；内政办发〔2021〕26号 (十八)：行政处罚记入信用信息"
COMPLAINT_RULE = "昆政办〔2021〕70号 (十三)：投诉举报多、有失信行为的加大监管"

# 履约评价 of civil affairs: code -> label. Only these three (the table's CHECK constraint).
FULFILMENT_RESULTS = {"kept": "履约良好", "breach": "存在违诺", "serious_breach": "严重违诺"}
# Complaint outcomes that count against the institution (complaints.services.handling.OUTCOMES).
SUBSTANTIATED = {"substantiated": "查实", "partly": "部分查实"}

# Most serious first; the order of the blockers shown.
_ORDER = ("serious_breach", "rectification_overdue", "penalty", "complaint_substantiated",
          "breach", "complaint_partly")
TITLES = {
    "serious_breach": "信用承诺严重违诺",
    "breach": "信用承诺存在违诺",
    "rectification_overdue": "整改逾期未完成",
    "penalty": "受到行政处罚",
    "complaint_substantiated": "投诉经核查属实",
    "complaint_partly": "投诉经核查部分属实",
}
SEVERITY = {code: ("warning" if code in ("breach", "complaint_partly") else "serious")
            for code in _ORDER}
RULES = {
    "serious_breach": COMMITMENT_RULE, "breach": COMMITMENT_RULE,
    "rectification_overdue": RECTIFICATION_RULE, "penalty": PENALTY_RULE,
    "complaint_substantiated": COMPLAINT_RULE, "complaint_partly": COMPLAINT_RULE,
}


@dataclass(frozen=True)
class RectificationFact:
    inspected_on: date
    status: str  # none_required | pending | done | overdue
    deadline: date | None = None
    department: str = ""


@dataclass(frozen=True)
class PenaltyFact:
    decided_on: date
    decision_no: str
    department: str = ""


@dataclass(frozen=True)
class ComplaintFact:
    answered_on: date  # local date of the answer
    outcome: str | None  # None: answered before outcomes were recorded (unknown)


@dataclass(frozen=True)
class AssessmentFact:
    """A 履约评价 by civil affairs."""

    assessed_on: date
    result: str  # FULFILMENT_RESULTS
    basis: str = ""
    department: str = ""
    id: int = 0  # tie-break between two of the same day: the later recorded wins

    @property
    def label(self) -> str:
        return FULFILMENT_RESULTS.get(self.result, self.result)


@dataclass(frozen=True)
class CreditFacts:
    rectifications: tuple[RectificationFact, ...] = ()
    penalties: tuple[PenaltyFact, ...] = ()
    complaints: tuple[ComplaintFact, ...] = ()
    assessments: tuple[AssessmentFact, ...] = ()


@dataclass(frozen=True)
class Blocker:
    code: str
    detail: str  # the records behind it, one Chinese sentence without a final 。

    @property
    def title(self) -> str:
        return TITLES[self.code]

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.code]  # type: ignore[return-value]

    @property
    def rule(self) -> str:
        return RULES[self.code]

    @property
    def text(self) -> str:
        return f"{self.title}（{self.detail}）"


def latest_assessment(assessments: Iterable[AssessmentFact]) -> AssessmentFact | None:
    """The 履约评价 in force: the newest by date, then by record."""
    return max(assessments, key=lambda a: (a.assessed_on, a.id), default=None)


def rectification_overdue(r: RectificationFact, today: date) -> bool:
    """Not done and past its deadline, or marked overdue (as checks.rectification_overdue)."""
    if r.status in ("done", "none_required"):
        return False
    return r.status == "overdue" or (r.deadline is not None and r.deadline < today)


def blockers(facts: CreditFacts, today: date, lookback_days: int) -> list[Blocker]:
    """Everything that keeps the institution off the red list on `today`, most serious first."""
    if lookback_days < 1:
        raise ValueError("lookback_days must be at least 1")
    since = today - timedelta(days=lookback_days)
    found: list[Blocker] = []
    latest = latest_assessment(a for a in facts.assessments if a.assessed_on <= today)
    if latest is not None and latest.result in ("breach", "serious_breach") \
            and latest.assessed_on > since:
        by = f"{latest.department}" if latest.department else "民政部门"
        found.append(Blocker(latest.result, f"{by}{cn_date(latest.assessed_on)}评价为"
                                            f"“{latest.label}”"))
    for r in sorted(facts.rectifications, key=lambda r: (r.deadline or r.inspected_on)):
        if rectification_overdue(r, today):
            late = f"，已逾期 {(today - r.deadline).days} 天" if r.deadline else ""
            by = f"（{r.department}）" if r.department else ""
            when = f"整改期限{cn_date(r.deadline)}" if r.deadline else "未载明整改期限"
            found.append(Blocker("rectification_overdue",
                                 f"{cn_date(r.inspected_on)}检查{by}发现的问题，{when}{late}"))
    recent = sorted((p for p in facts.penalties if since < p.decided_on <= today),
                    key=lambda p: p.decided_on, reverse=True)
    if recent:
        shown = "、".join(f"{p.decision_no}（{cn_date(p.decided_on)}）" for p in recent[:3])
        more = f"等 {len(recent)} 件" if len(recent) > 3 else ""
        found.append(Blocker("penalty", f"近 {lookback_days} 天内处罚决定 {shown}{more}"))
    for outcome, code in (("substantiated", "complaint_substantiated"),
                          ("partly", "complaint_partly")):
        days = sorted((c.answered_on for c in facts.complaints
                       if c.outcome == outcome and since < c.answered_on <= today), reverse=True)
        if days:
            found.append(Blocker(code, f"近 {lookback_days} 天内 {len(days)} 件投诉经核查"
                                       f"{SUBSTANTIATED[outcome]}，最近一件答复于{cn_date(days[0])}"))
    return sorted(found, key=lambda b: _ORDER.index(b.code))


def refusal_message(found: list[Blocker]) -> str:
    """Why the red list refuses the institution, naming each blocker."""
    return ("该机构存在以下情形，不能列入红名单（红名单只列信誉度优良、诚信水平较高的机构，"
            f"{SUZHOU_RED}）：" + "；".join(b.text for b in found))
