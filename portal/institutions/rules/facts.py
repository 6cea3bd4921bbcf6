"""Facts about an institution that the checks read, and the formatting they share (SPEC §2).

The caller turns ORM rows into the small frozen *Facts dataclasses below (each has `from_obj`,
which copies same-named attributes). Also here: the 月服务费用 (monthly total) definition, used
by the checks, the directory's price filter and the institution page.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, Self

from portal.institutions.vocab import CARE_LEVELS

RESIDENTIAL = frozenset({"residential"})
CARE_SERVICES = frozenset({"residential", "community"})

# Charging cycles that recur, in months; per-use cycles (次、期、餐、小时…) are not a monthly fee.
CYCLE_MONTHS = {"月": 1, "季": 3, "半年": 6, "年": 12}
CENT = Decimal("0.01")


# --- formatting -------------------------------------------------------------------------------


def yuan(amount: Decimal) -> str:
    """3000 -> '3,000.00 元' (rounded half up to the fen)."""
    return f"{Decimal(amount).quantize(CENT, ROUND_HALF_UP):,.2f} 元"


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _plain(number: Decimal) -> str:
    """Decimal('3.00') -> '3', Decimal('2.50') -> '2.5'."""
    text = f"{Decimal(number):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _money(amount: Decimal) -> str:
    """Money in `Flag.numbers`: a string, so the dict stays JSON-ready and exact."""
    return str(Decimal(amount).quantize(CENT, ROUND_HALF_UP))


def _every(months: int) -> str:
    return {6: "每半年", 12: "每年"}.get(months, f"每 {months} 个月")


def add_months(day: date, months: int) -> date:
    """Same day-of-month `months` calendar months later, clamped to the month's end.

    The drill rules say "每半年" and "每年", so they are counted in calendar months:
    2024-01-15 + 6 = 2024-07-15 (still on time that day), 2024-08-31 + 6 = 2025-02-28.
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- facts ------------------------------------------------------------------------------------


class _FromObj:
    @classmethod
    def from_obj(cls, obj: object, **overrides: Any) -> Self:
        """Copy the attributes named like this dataclass's fields from `obj` (an ORM row)."""
        names = [f.name for f in fields(cls)]
        values = {n: getattr(obj, n) for n in names if n not in overrides and hasattr(obj, n)}
        return cls(**values, **overrides)


@dataclass(frozen=True)
class InstitutionFacts(_FromObj):
    """Basic information and the deposit; field names follow `Institution`."""

    kind: str
    filing_status: str = "filed"
    operating_status: str = "operating"  # 筹建 / 运营 / 暂停服务 / 终止 (vocab.OPERATING_STATUSES)
    credit_code: str | None = None
    registration_no: str = ""
    registration_date: date | None = None
    filing_no: str = ""
    filing_date: date | None = None
    address: str = ""
    street_id: int | None = None
    legal_representative: str = ""
    phone: str = ""
    opened_year: int | None = None
    beds_total: int = 0
    beds_vacant: int = 0
    admits_self_care: bool = False
    admits_mild: bool = False
    admits_severe: bool = False
    deposit_amount: Decimal | None = None  # None: not disclosed; 0: no deposit taken
    deposit_dedicated_account: bool = False
    deposit_bank: str = ""
    # None: residential institutions are taken to serve meals, others when a fee item is a meal.
    serves_food: bool | None = None


@dataclass(frozen=True)
class FeeFacts(_FromObj):
    """One fee row; field names follow `FeeItem`. Pass the current rows (effective_to IS NULL)."""

    item: str
    price: Decimal
    cycle: str = "月"
    care_level: str | None = None
    unit: str = ""
    effective_from: date | None = None
    effective_to: date | None = None

    def current_on(self, day: date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or self.effective_to >= day
        )


@dataclass(frozen=True)
class ResourceFacts(_FromObj):
    """The latest published `ServiceResources` row."""

    caregivers: int = 0
    certified_caregivers: int = 0
    elders_self_care: int = 0
    elders_mild: int = 0
    elders_severe: int = 0
    video_coverage: bool = False
    video_retention_days: int = 0
    fire_approval_status: str | None = None  # portal.institutions.rules.fire_approval.STATUSES, or None
    fire_approval_doc_no: str = ""
    fire_approval_date: date | None = None
    fire_approval: str = ""  # the note (before migration 0015, the whole disclosure)
    food_licence: str = ""
    last_fire_drill: date | None = None
    last_emergency_drill: date | None = None


@dataclass(frozen=True)
class GradeFacts(_FromObj):
    """The latest `Grade` row."""

    level: int
    awarded_on: date
    valid_until: date | None = None
    gb38600_compliant: bool = True
    awarded_by: str = ""


@dataclass(frozen=True)
class InspectionFacts(_FromObj):
    """One `Inspection` row; pass `department_name=row.department.name` to `from_obj`."""

    inspected_on: date
    rectification_deadline: date | None = None
    rectification_status: str = "none_required"
    department_name: str = ""
    findings: str = ""
    outcome: str = ""  # INSPECTION_OUTCOMES; "" when not known


@dataclass(frozen=True)
class Facts:
    """Everything the checks and the completeness count look at, for one institution."""

    institution: InstitutionFacts
    fees: tuple[FeeFacts, ...] = ()
    resources: ResourceFacts | None = None
    grade: GradeFacts | None = None
    inspections: tuple[InspectionFacts, ...] = ()
    rule_titles: tuple[str, ...] = ()  # titles of the published 规章制度
    credit_commitment: bool = False  # a 信用承诺书 is published
    # Open days: checked only when the caller loaded them (False leaves the check out).
    open_days_checked: bool = False
    last_open_day: date | None = None  # the local date the last held open day ended


# --- monthly fee ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def fee_component(item: str) -> str:
    """'床位费（双人间）' -> '床位费': rows of one component are alternatives, not added up."""
    return re.split(r"[（(]", item, maxsplit=1)[0].strip()


@dataclass(frozen=True)
class MonthlyTotal:
    """One elder's monthly fee at a care level: cheapest and dearest choice of each component."""

    care_level: str | None
    low: Decimal
    high: Decimal


def monthly_totals(fees: Iterable[FeeFacts], today: date) -> dict[str | None, MonthlyTotal]:
    """月服务费用 per care level, from the fee rows current on `today`.

    Definition: take the recurring rows (月; 季/半年/年 divided into months); rows with the same
    name before any bracket are alternatives of one component (床位费 by room type); a care
    level pays, for each component, its own level-specific rows if there are any, otherwise the
    rows without a level; the month's total is one row of each component added up (床位费 +
    护理费 + 餐费 + …). `low` picks the cheapest row of each component, `high` the dearest.
    Keyed by care level code; the key None holds the total of the rows without a level, present
    when those rows alone cover every component (always, when no row is level-specific).
    """
    return totals_of([priced for f in fees if f.current_on(today)
                      and (priced := priced_row(f.care_level, f.item, f.price, f.cycle))])


def pick_total(totals: dict[str | None, MonthlyTotal], level: str | None) -> MonthlyTotal | None:
    """The total for `level` (its own rows, else the shared ones); no level: across all levels."""
    if level:
        return totals.get(level) or totals.get(None)
    if not totals:
        return None
    values = list(totals.values())
    return MonthlyTotal(None, min(t.low for t in values), max(t.high for t in values))


# (care level, component, monthly price) of one recurring fee row.
PricedRow = tuple[str | None, str, Decimal]


def priced_row(care_level: str | None, item: str, price: Decimal, cycle: str) -> PricedRow | None:
    """A fee row as `totals_of` adds it up; None for a row that does not recur (押金, 一次性)."""
    months = CYCLE_MONTHS.get(cycle)
    if months is None:
        return None
    return care_level, fee_component(item), (Decimal(price) / months).quantize(CENT, ROUND_HALF_UP)


def totals_of(rows: list[PricedRow]) -> dict[str | None, MonthlyTotal]:
    """`monthly_totals` of rows already priced (each current row once)."""
    if not rows:
        return {}
    order = list(CARE_LEVELS)
    levels: list[str | None] = sorted(
        {lv for lv, _, _ in rows if lv},
        key=lambda lv: (order.index(lv) if lv in order else len(order), lv),
    )
    shared = {name for lv, name, _ in rows if not lv}
    if shared == {name for _, name, _ in rows}:
        # Shared rows make a whole month on their own: the total for any other care level.
        levels.append(None)
    totals: dict[str | None, MonthlyTotal] = {}
    for level in levels:
        components: dict[str, list[Decimal]] = {}
        own: set[str] = set()
        for care_level, name, monthly in rows:
            if care_level and care_level != level:
                continue
            if care_level and name not in own:
                own.add(name)
                components[name] = []  # level-specific rows replace the shared ones
            elif not care_level and name in own:
                continue
            components.setdefault(name, []).append(monthly)
        low = sum((min(p) for p in components.values()), Decimal(0))
        high = sum((max(p) for p in components.values()), Decimal(0))
        totals[level] = MonthlyTotal(level, low, high)
    return totals
