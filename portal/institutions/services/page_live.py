"""What an institution's page shows that changes without its records — the complaint figures,
the open days and the credit check — read as columns of one statement.

The stored document (pagedoc.py) cannot hold these: complaints are answered, open days pass
and fill, rectifications fall overdue by the date. A page from its document read them with
three statements more; each was a round trip and a statement's Python overhead, most of what
such a page cost beyond the ceiling route on PostgreSQL behind nginx (bench/RESULTS.md,
2026-12-07). `LIVE_COLUMNS` go into the document's statement (pagedoc.py) or stand alone
(`load_live`, for the page built from the rows): one statement either way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from complaints.models import Complaint
from portal.core.settings import get_settings
from portal.institutions.rules.facts import Facts
from portal.institutions.services.credit_status import (
    CREDIT_JSON,
    CreditStatus,
    credit_params,
    credit_status_from_json,
)
from portal.opendays.services.events import (
    OPEN_DAYS_JSON,
    InstitutionOpenDays,
    open_days_from_json,
    open_days_params,
)

COMPLAINT_WINDOW_DAYS = 365


@dataclass(frozen=True)
class ComplaintStats:
    """Aggregates only: never a complainant, a description or an answer."""

    received: int  # in the last 12 months
    judged: int  # answered, or past the answer deadline without an answer
    on_time: int  # answered before the deadline

    @property
    def on_time_rate(self) -> int | None:
        return None if self.judged == 0 else round(self.on_time * 100 / self.judged)


_ON_TIME = and_(Complaint.answered_at.is_not(None), Complaint.answered_at < Complaint.due_at)
_JUDGED = or_(Complaint.answered_at.is_not(None), Complaint.due_at <= bindparam("now"))
_COMPLAINT_STATS = select(
    func.count().label("received"),
    func.coalesce(func.sum(case((_JUDGED, 1), else_=0)), 0).label("judged"),
    func.coalesce(func.sum(case((_ON_TIME, 1), else_=0)), 0).label("on_time"),
).where(
    Complaint.institution_id == bindparam("institution_id"),
    Complaint.received_at >= bindparam("since"),
    Complaint.tracking_no.is_not(None),
).subquery()

# received, judged, on_time, open_days (JSON), credit (JSON): built once with bind parameters
# (`live_params`), as every view runs them.
LIVE_COLUMNS = (*_COMPLAINT_STATS.c, OPEN_DAYS_JSON.label("open_days"),
                CREDIT_JSON.label("credit"))


def with_live(stmt: Select[Any]) -> Select[Any]:
    """`stmt` (selecting LIVE_COLUMNS) with the complaint figures' one-row aggregate joined."""
    return stmt.join(_COMPLAINT_STATS, true())


_LIVE = select(*LIVE_COLUMNS)  # from the one-row aggregate


@dataclass(frozen=True)
class LiveParts:
    complaints: ComplaintStats
    open_days: InstitutionOpenDays
    credit_status: CreditStatus


def live_params(institution_id: int, now: datetime, today: date) -> dict[str, Any]:
    """LIVE_COLUMNS' parameters: complaints of the 12 months up to `now`, the open days around
    `now`, the credit check on `today` with the configured look-back."""
    settings = get_settings()
    return {"since": now - timedelta(days=COMPLAINT_WINDOW_DAYS),
            **open_days_params(institution_id, now),
            **credit_params([institution_id], today, settings.credit_lookback_days,
                            settings.timezone)}


def live_parts(institution_id: int, values: Any, today: date) -> LiveParts:
    """LiveParts from the five values of LIVE_COLUMNS, in their order."""
    received, judged, on_time, open_days, credit = values
    settings = get_settings()
    return LiveParts(
        complaints=ComplaintStats(int(received), int(judged), int(on_time)),
        open_days=open_days_from_json(open_days),
        credit_status=credit_status_from_json(institution_id, credit, today,
                                              settings.credit_lookback_days, settings.timezone))


def load_live(db: Session, institution_id: int, now: datetime, today: date) -> LiveParts:
    return live_parts(institution_id, db.execute(_LIVE, live_params(institution_id, now, today))
                      .one(), today)


def with_open_days(facts: Facts, open_days: InstitutionOpenDays) -> Facts:
    """The facts with the open-day check on: the local date the last held open day ended."""
    last_end = open_days.last_held_end
    return replace(facts, open_days_checked=True, last_open_day=last_end.astimezone(
        get_settings().timezone).date() if last_end else None)
