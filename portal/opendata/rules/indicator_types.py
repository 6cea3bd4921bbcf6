"""The values the efficiency indicators are computed from and what they return (plain data),
with the small builders every rule uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from complaints.rules import clock
from complaints.rules.calendar import WorkCalendar
from portal.institutions.rules.facts import RESIDENTIAL, Facts
from portal.institutions.rules.thresholds import DEFAULT_THRESHOLDS, Thresholds
from portal.opendata.rules.evaluation_form import BY_CODE


@dataclass(frozen=True)
class Visit:
    """An inspection of a subject: its date and the type of the department that made it."""

    on: date
    department_type: str = "civil_affairs"


@dataclass(frozen=True)
class Subject:
    """One institution as the indicators see it."""

    id: int
    name: str
    district: str
    facts: Facts  # kind, filing, deposit, resources, latest grade, current fees
    filing_date: date | None = None
    discovered_on: date | None = None  # an unfiled place's recorded discovery (institutions row)
    discovered_via: str = ""  # vocab.DISCOVERY_CHANNELS code
    discovered_by: str = ""
    inspections: tuple[Visit, ...] = ()  # any order
    social_workers: int | None = None  # from the latest published resources
    district_id: int = 0
    street_id: int | None = None  # 乡镇（街道）: the unit seed 004's form is filled by

    @property
    def kind(self) -> str:
        return self.facts.institution.kind

    @property
    def filing_status(self) -> str:
        return self.facts.institution.filing_status


@dataclass(frozen=True)
class InspectionRow:
    institution_id: int
    inspected_on: date
    outcome: str  # vocab.INSPECTION_OUTCOMES
    rectification_status: str
    rectification_deadline: date | None = None


@dataclass(frozen=True)
class PenaltyRow:
    institution_id: int
    decided_on: date
    amount: Decimal


@dataclass(frozen=True)
class CreditRow:
    institution_id: int
    list_type: str
    listed_on: date
    expires_on: date | None = None
    removed_on: date | None = None

    def in_force(self, today: date) -> bool:
        return self.removed_on is None and (self.expires_on is None or self.expires_on >= today)


@dataclass(frozen=True)
class Record:
    """One institution behind an indicator: its status there and the numbers that decided it."""

    institution_id: int
    name: str
    district: str
    status: str
    counted: bool  # in the numerator
    note: str = ""


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str  # the form's own wording
    definition: str
    numerator: int | Decimal | None
    denominator: int | Decimal | None
    value: str  # the sentence for the form's 已完成情况 column
    records: tuple[Record, ...] = ()
    unit: str = "家"
    figure: Decimal | None = None  # a headline number that is not a percentage (4.21)
    figure_unit: str = ""
    not_recorded: str = ""  # what the form asks that the portal does not record (the 未完成说明)

    @property
    def rate(self) -> Decimal | None:
        """numerator / denominator in percent, one decimal (half up); None without a base."""
        if not self.denominator or self.numerator is None:
            return None
        ratio = Decimal(self.numerator) * 100 / Decimal(self.denominator)
        return ratio.quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def short(self) -> str:
        """'12/20（60.0%）' for a rate, '12 家' for a count."""
        if self.figure is not None:
            return f"{self.figure} {self.figure_unit}"
        if self.denominator is None:
            return f"{self.numerator} {self.unit}"
        if self.rate is None:
            return f"{self.numerator}/{self.denominator}"
        return f"{self.numerator}/{self.denominator}（{self.rate}%）"


@dataclass(frozen=True)
class Period:
    """The reporting year and the day the report is made (records after `today` are ignored)."""

    year: int
    today: date
    calendar: WorkCalendar
    tz: ZoneInfo = clock.SHANGHAI
    thresholds: Thresholds = DEFAULT_THRESHOLDS  # PORTAL_CHECK_* (deposit cap, on-site deadline)

    def in_year(self, day: date | None) -> bool:
        return day is not None and day.year == self.year and day <= self.today


def make_indicator(code: str, definition: str, numerator, denominator, value: str,
                   records: Sequence[Record] = (), unit: str = "家", **extra) -> Indicator:
    """An indicator with the form's own name for `code`, its records unmet first."""
    ordered = tuple(sorted(records, key=lambda r: (r.counted, r.district, r.institution_id)))
    return Indicator(code, BY_CODE[code].name, definition, numerator, denominator, value,
                     ordered, unit, **extra)


def pct(part: int, whole: int) -> str:
    """'33.3%' (one decimal, half up); '—' without a base."""
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / whole).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def record_of(s: Subject, status: str, counted: bool, note: str = "") -> Record:
    """The record of subject `s` behind an indicator."""
    return Record(s.id, s.name, s.district, status, counted, note)


def registered_residential(subjects: Sequence[Subject]) -> list[Subject]:
    """养老机构总数: residential institutions with a registration (unregistered places are not)."""
    return [s for s in subjects if s.kind in RESIDENTIAL and s.filing_status != "unregistered"]
