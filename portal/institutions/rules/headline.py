"""The institution page's headline box (issue 21 items 2 and 3): what a phone shows first.

Pure: computed for each view from what the page already holds — its facts, flags, credit status
and complaint figures — with the caller's `today`. Nearly all of it depends on the date (a
rectification falls overdue, a grade ages and expires, a penalty leaves the look-back period),
so it is never stored in the page document (portal/institutions/services/pagedoc.py).

What comes first (item 3, "the headline must show the most serious fact first"): signals are
ordered by tone — serious, warning, then praise — and a fact against the institution is never
shown after praise of it:
- the red list is only for institutions 信誉度优良、诚信水平较高 (苏府办〔2021〕248号 三（四））:
  a red-list entry or a 五级 grade says nothing once a blocker of that rule stands against it;
- 对未按期整改的 … 下达停业整顿通知书 (昆政办〔2021〕70号): an overdue rectification outranks
  any grade;
- a penalty is credit information published as such (株洲实施方案（征求意见稿）(十四)；
  内政办发〔2021〕26号 (十八));
- a suspended or closed home leads with that (苏府办〔2021〕248号 二(九) 服务退出监管): whatever
  else the page says, an elder cannot move in; 筹建 is a note.
Thresholds: none of its own. Penalties count within the credit look-back period
(PORTAL_CREDIT_LOOKBACK_DAYS, portal/institutions/rules/credit.py: 365 days, the seeds' yearly
cycle — 酉阳县 (六)、内政办发〔2021〕26号 (十六)); complaint figures are the page's 12 months.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from portal.institutions.rules.credit import AssessmentFact, Blocker
from portal.institutions.rules.facts import Facts, InspectionFacts, MonthlyTotal
from portal.institutions.rules.flags import Flag
from portal.institutions.vocab import (
    FILING_STATUSES,
    GRADES,
    INSPECTION_OUTCOMES,
    OPERATING_STATUSES,
    RECTIFICATION_STATUSES,
)

Tone = Literal["serious", "warning", "info", "good"]
TONES: tuple[Tone, ...] = ("serious", "warning", "info", "good")
TONE_LABELS = {"serious": "严重", "warning": "警示", "info": "提示", "good": "良好"}
# Warnings listed by name before the rest are only counted (a phone's first screen).
MAX_WARNINGS = 3

# Within one tone: the facts item 3 names first (lists, overdue rectification, penalty), then
# the rest in the order the flags and blockers come.
_FIRST = ("closed", "suspended", "black_list", "red_list_conflict", "unregistered", "rectification_overdue",
          "penalty", "serious_breach", "complaint_substantiated")


@dataclass(frozen=True)
class Signal:
    code: str
    tone: Tone
    text: str  # short Chinese, no final 。
    anchor: str  # id of the page section that says more


@dataclass(frozen=True)
class LastInspection:
    day: date
    department: str
    outcome: str  # the label
    rectification: str  # the label, "" when none was required
    tone: Tone | None


@dataclass(frozen=True)
class Headline:
    signals: tuple[Signal, ...]  # most serious first, praise last
    unlisted: dict[str, int]  # tone -> signals only counted (more warnings, every note)
    filing: str
    filing_tone: Tone | None
    grade: str  # "五级", "" for none
    grade_age: str
    grade_expired: bool
    fee_low: Decimal | None
    fee_high: Decimal | None
    beds_total: int
    beds_vacant: int
    last_inspection: LastInspection | None
    penalties: str  # the sentence for the 行政处罚 row
    penalty_tone: Tone | None
    complaints_received: int
    complaints_on_time_rate: int | None
    lookback_days: int
    flags_total: int = 0

    @property
    def first_negative(self) -> Signal | None:
        return next((s for s in self.signals if s.tone != "good"), None)


def _short(f: Flag) -> str:
    """A flag in a few words: its title, with the one number that matters where there is one."""
    if f.code == "rectification_overdue" and f.numbers.get("days_overdue"):
        return f"{f.title} {f.numbers['days_overdue']} 天"
    return f.title


def _blocker_text(b: Blocker, lookback_days: int) -> str:
    if b.code == "penalty":
        return f"近 {lookback_days} 天内受到行政处罚"
    return b.title


def _ordered(signals: Iterable[Signal]) -> list[Signal]:
    def key(s: Signal) -> tuple[int, int]:
        first = _FIRST.index(s.code) if s.code in _FIRST else len(_FIRST)
        return TONES.index(s.tone), first
    return sorted(signals, key=key)  # stable: the catalogue's order within a rank


def _last_inspection(inspections: Sequence[InspectionFacts], today: date) -> LastInspection | None:
    if not inspections:
        return None
    last = max(inspections, key=lambda i: i.inspected_on)
    status, deadline = last.rectification_status, last.rectification_deadline
    # As the rectification_overdue flag (checks.py) reads it.
    overdue = status not in ("done", "none_required") and (
        status == "overdue" or (deadline is not None and deadline < today))
    tone: Tone | None = "serious" if overdue else ("warning" if status == "pending" else None)
    rectification = "" if status == "none_required" else (
        "逾期未整改" if overdue else RECTIFICATION_STATUSES.get(status, status))
    return LastInspection(last.inspected_on, last.department_name,
                          INSPECTION_OUTCOMES.get(last.outcome, "") if last.outcome else "",
                          rectification, tone)


def headline(
    facts: Facts,
    flags: Sequence[Flag],
    *,
    today: date,
    grade_age: str,
    totals: Mapping[str | None, MonthlyTotal],
    red_listed: bool,
    blockers: Sequence[Blocker],
    assessment: AssessmentFact | None,
    lookback_days: int,
    complaints_received: int,
    complaints_on_time_rate: int | None,
    black_listed: bool = False,
    operating_status: str = "operating",
) -> Headline:
    """What the headline box says on `today`, most serious first."""
    found: list[Signal] = []
    if operating_status != "operating":
        found.append(Signal(operating_status,
                            "info" if operating_status == "preparing" else "serious",
                            OPERATING_STATUSES.get(operating_status, operating_status),
                            "operating-status"))
    if black_listed:
        found.append(Signal("black_list", "serious", "列入失信联合惩戒对象名单", "h-credit"))
    if red_listed and blockers:
        found.append(Signal("red_list_conflict", "serious",
                            "在红名单上，但存在不应列入的情形", "credit-check"))
    for f in flags:
        anchor = "h-insp" if f.code == "rectification_overdue" else "h-flags"
        found.append(Signal(f.code, f.severity, _short(f), anchor))
    flagged = {f.code for f in flags}
    for b in blockers:
        if b.code in flagged:  # an overdue rectification: the flag already says it
            continue
        anchor = "h-pen" if b.code == "penalty" else "credit-check"
        found.append(Signal(b.code, b.severity, _blocker_text(b, lookback_days), anchor))

    g = facts.grade
    expired = bool(g and g.valid_until and g.valid_until < today)
    if g and not expired:
        found.append(Signal("grade", "good", f"{GRADES.get(g.level, g.level)}养老机构", "h-grade"))
    if red_listed and not blockers:
        found.append(Signal("red_list", "good", "列入红名单", "h-credit"))
    if assessment is not None and assessment.result == "kept" and not blockers:
        found.append(Signal("kept", "good", "信用承诺履约良好", "credit-check"))

    ordered = _ordered(found)
    shown: list[Signal] = []
    unlisted = {"warning": 0, "info": 0}
    for s in ordered:
        if s.tone == "info" or (s.tone == "warning" and sum(
                1 for x in shown if x.tone == "warning") >= MAX_WARNINGS):
            unlisted[s.tone] += 1
        else:
            shown.append(s)

    inst = facts.institution
    filing_tone: Tone | None = ("serious" if "unregistered" in flagged
                                else "warning" if "unfiled" in flagged else None)
    penalty = next((b for b in blockers if b.code == "penalty"), None)
    values = list(totals.values())
    return Headline(
        signals=tuple(shown),
        unlisted={k: v for k, v in unlisted.items() if v},
        filing=FILING_STATUSES.get(inst.filing_status, inst.filing_status),
        filing_tone=filing_tone,
        grade=GRADES.get(g.level, str(g.level)) if g else "",
        grade_age=grade_age if g else "",
        grade_expired=expired,
        fee_low=min(t.low for t in values) if values else None,
        fee_high=max(t.high for t in values) if values else None,
        beds_total=inst.beds_total,
        beds_vacant=inst.beds_vacant,
        last_inspection=_last_inspection(facts.inspections, today),
        penalties=(penalty.detail if penalty else f"近 {lookback_days} 天内无行政处罚"),
        penalty_tone="serious" if penalty else None,
        complaints_received=complaints_received,
        complaints_on_time_rate=complaints_on_time_rate,
        lookback_days=lookback_days,
        flags_total=len(flags),
    )


def for_page(p: Any) -> Headline:
    """The headline of a shown page — an InstitutionPage built from the rows or a DocPage from
    its document: both carry `facts`, `flags`, `totals`, `today`, `grade_age`, `credit_status`
    and `complaints`, computed for this view."""
    cs = p.credit_status
    return headline(
        p.facts, p.flags, today=p.today, grade_age=p.grade_age, totals=p.totals,
        red_listed=cs.red_listed, blockers=cs.blockers, assessment=cs.assessment,
        lookback_days=cs.lookback_days, complaints_received=p.complaints.received,
        complaints_on_time_rate=p.complaints.on_time_rate,
        # CreditStatus has no black-list field yet (services/credit_status.py, not ours to
        # change this round): read it when it has one.
        black_listed=bool(getattr(cs, "black_listed", False)),
        operating_status=p.facts.institution.operating_status,
    )
