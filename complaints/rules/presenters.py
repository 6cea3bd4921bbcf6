"""Turning complaints into what pages and APIs show: clock state, public timeline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from complaints.models import OPEN_STATUSES, STATUSES, Complaint
from complaints.rules import clock
from complaints.rules.calendar import WorkCalendar
from complaints.services.events import EVENT_LABELS
from complaints.services.handling import OUTCOMES
from complaints.services.queues import QueueRow
from portal.orgs.models import Department

CLOCK_LABELS = {"on_time": "办理中", "due_soon": "即将到期", "overdue": "已超期"}


@dataclass(frozen=True)
class ClockView:
    due_local: datetime  # the last second of the last working day, for display as 24:00
    days_left: int
    state: str  # on_time | due_soon | overdue | answered | answered_late
    label: str
    provisional: bool
    days_overdue: int = 0  # calendar days past the last working day, while still open
    sign_flag: str = ""  # signing_flag(): "逾期签收" / "超时未签收" / ""


def signing_flag(status: str, sign_due_at: datetime | None, signed_at: datetime | None,
                 now: datetime) -> str:
    """Whether the office signed for (签收) the complaint late (the sign-for deadline is the
    portal's own, complaints/services/filing.py sign_days, not a seed's): signed after its
    deadline, or still unsigned (status assigned) past it."""
    if sign_due_at is None:
        return ""
    if signed_at is not None:
        return "逾期签收" if signed_at >= sign_due_at else ""
    return "超时未签收" if status == "assigned" and now >= sign_due_at else ""


def clock_view(complaint: Complaint | QueueRow, calendar: WorkCalendar, now: datetime,
               tz) -> ClockView:
    # The stored due date includes approved extensions and reopenings: trust it.
    due_at = complaint.due_at
    due_local = due_at.astimezone(tz) - timedelta(seconds=1)
    sign_flag = signing_flag(complaint.status, complaint.sign_due_at, complaint.signed_at, now)
    if complaint.status not in OPEN_STATUSES:
        late = complaint.answered_at is not None and complaint.answered_at >= due_at
        state = "answered_late" if late else "answered"
        return ClockView(due_local, 0, state, "超期答复" if late else "按时答复",
                         complaint.provisional, sign_flag=sign_flag)
    # Days left and the state need only the stored due date and the day of receipt, not the
    # day-by-day count (a list page shows 30 clocks): `days` stays empty.
    deadline = clock.Deadline(
        received_at=complaint.received_at, due_at=due_at.astimezone(tz),
        last_day=complaint.due_last_day,
        working_days=complaint.working_days, provisional=complaint.provisional, days=(),
    )
    left = clock.working_days_left(deadline, now, calendar)
    state = str(clock.status(deadline, now, calendar))
    overdue = (now.astimezone(tz).date() - complaint.due_last_day).days if state == "overdue" else 0
    return ClockView(due_local, left, state, CLOCK_LABELS[state], complaint.provisional,
                     max(overdue, 0), sign_flag)


def _label(event) -> str:
    """The step's words; an answer names its 核查结论 (answers before outcomes name none)."""
    label = EVENT_LABELS.get(event.kind, event.kind)
    outcome = (event.data or {}).get("outcome") if event.kind == "answered" else None
    return f"{label}（核查结论：{OUTCOMES.get(outcome, outcome)}）" if outcome else label


def public_timeline(complaint: Complaint) -> list[dict]:
    """Events the complainant may see: no actors, no internal notes."""
    rows = []
    for event in complaint.events:
        if not event.public:
            continue
        rows.append({
            "at": event.at,
            "label": _label(event),
            "department": event.department.name if event.department else "",
            "note": event.note if event.kind in ("answered", "supervised") else "",
        })
    return rows


def status_label(complaint: Complaint | QueueRow) -> str:
    return STATUSES.get(complaint.status, complaint.status)


def office_groups(offices: Iterable[Department]) -> list[tuple[str, list[Department]]]:
    """Offices grouped for a choice list (改派, 协办): 市级部门 first, then each district's in the
    order the districts first come; a street/town office (乡镇、街道, no district_id of its own)
    sits in its street's district, after the district's own offices. Otherwise the given order."""
    groups: dict[str, list[Department]] = {}
    for office in offices:
        district = office.district or (office.street.district if office.street else None)
        groups.setdefault(district.name if district else "市级部门", []).append(office)
    for members in groups.values():
        members.sort(key=lambda office: office.street_id is not None)  # stable
    city = groups.pop("市级部门", [])
    return ([("市级部门", city)] if city else []) + list(groups.items())
