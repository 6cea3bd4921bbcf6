"""Street/town offices (乡镇、街道) under a district: which offices, what the district's civil
affairs sees of them (seed 000 苏州 三(一) and seed 001 (十八): streets take complaints; the
district's civil affairs supervises them, 民政牵头 and 属地管理).

Read side only. A street office's queue is an office queue like any other (its counts are the
trigger-kept `queue_counts` rows of its office id); this module adds the district's view over
its streets' offices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from complaints.models import OPEN_STATUSES, Complaint
from complaints.services.queues import QueuePage, complaint_list, tab_counts
from portal.orgs.models import Department, Street

SUPERVISING_TYPE = "civil_affairs"
STREET_VIEWS = {"open": "在办", "overdue": "已超期", "answered": "已答复"}


def supervised_district(office: Department | None) -> int | None:
    """The district whose street offices this office supervises: a district's (not a
    street's) civil-affairs office; None for any other office."""
    if (office is None or office.type_code != SUPERVISING_TYPE or office.district_id is None
            or office.street_id is not None):
        return None
    return office.district_id


def street_office_ids(district_id: int) -> Select:
    """The ids of the street offices in a district, as a subquery."""
    return (select(Department.id).join(Street, Street.id == Department.street_id)
            .where(Street.district_id == district_id))


@dataclass(frozen=True)
class StreetOffice:
    id: int
    name: str
    street: str
    counts: dict[str, int]  # the queue tabs' counts (queues.TAB_BUCKETS)


def street_offices(session: Session, district_id: int) -> list[StreetOffice]:
    """The district's street offices with their queues' counts, by street."""
    rows = session.execute(
        select(Department.id, Department.name, Street.name)
        .join(Street, Street.id == Department.street_id)
        .where(Street.district_id == district_id)
        .order_by(Street.id, Department.id)).all()
    return [StreetOffice(id_, name, street, tab_counts(session, id_))
            for id_, name, street in rows]


def street_complaints_stmt(district_id: int, view: str, now: datetime,
                           office_id: int | None = None) -> Select:
    """Complaints handled by the district's street offices (or one of them): open, overdue or
    answered, most urgent (or latest answered) first."""
    offices = [office_id] if office_id is not None else street_office_ids(district_id)
    stmt = select(Complaint).where(Complaint.responsible_department_id.in_(offices))
    if view == "answered":
        return (stmt.where(Complaint.status.in_(("answered", "closed")))
                .order_by(Complaint.answered_at.desc(), Complaint.id.desc()))
    stmt = stmt.where(Complaint.status.in_(OPEN_STATUSES))
    if view == "overdue":
        stmt = stmt.where(Complaint.due_at <= now)
    return stmt.order_by(Complaint.due_at, Complaint.id)


def street_complaints(session: Session, district_id: int, view: str, now: datetime,
                      office_id: int | None, page: int) -> QueuePage:
    return complaint_list(session, street_complaints_stmt(district_id, view, now, office_id), page)
