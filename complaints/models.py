"""Complaints, their append-only events, co-handling, routing rules and the holiday calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from complaints.rules.categories import seed_basis
from portal.core.db import Base, UTCDateTime, utcnow
from portal.institutions.models import Institution
from portal.orgs.models import Department, District

STATUSES = {
    "assigned": "已派单",
    "signed": "已签收",
    "answered": "已答复",
    "returned": "退回待改派",
    "closed": "已办结",
}
OPEN_STATUSES = ("assigned", "signed", "returned")
CHANNELS = {"web": "网上投诉", "phone": "电话", "open311": "系统对接", "handover": "12345转办"}


class RoutingRule(Base):
    """Category → responsible department type (+ co-handling types); editable by admins."""

    __tablename__ = "routing_rules"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    help_text: Mapped[str] = mapped_column(String(200), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    responsible_type: Mapped[str] = mapped_column(String(40))
    co_handling_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The city sends this category to the street/town office of the responsible type where the
    # institution's street has one (seed 000 苏州 三(一), seed 001 (十八)); off: the district's.
    street_level: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def basis(self) -> str:
        """The seed clause this rule follows while it routes as its default ("" otherwise)."""
        return seed_basis(self.code, self.responsible_type, self.co_handling_types)


class RoutingRuleChange(Base):
    """History of routing-rule edits (before/after), kept forever."""

    __tablename__ = "routing_rule_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(ForeignKey("routing_rules.code"), index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HolidayYear(Base):
    """A year's holidays and 调休 workdays loaded or corrected by an admin (overrides the package)."""

    __tablename__ = "holiday_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list[str]] = mapped_column(JSON)
    makeup_workdays: Mapped[list[str]] = mapped_column(JSON)
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(100))
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_office_status_due", "responsible_department_id", "status", "due_at"),
        Index("ix_complaints_institution_category", "institution_id", "category_code"),
        Index("ix_complaints_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    # An unregistered place (黑机构) has no institution row: its name, address and district.
    place_name: Mapped[str] = mapped_column(String(100), default="")
    place_address: Mapped[str] = mapped_column(String(200), default="")
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("routing_rules.code"), index=True)
    description: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    complainant_name: Mapped[str] = mapped_column(String(50), default="")
    complainant_phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    # Anonymous complainants prove themselves with this code instead of a phone number.
    access_code: Mapped[str] = mapped_column(String(12), default="")
    status: Mapped[str] = mapped_column(String(10), default="assigned")
    responsible_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    working_days: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_last_day: Mapped[date] = mapped_column(Date)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    sign_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_text: Mapped[str] = mapped_column(Text, default="")
    # What the answering office found (complaints.services.handling.OUTCOMES): substantiated | partly |
    # unfounded | unverifiable. NULL: not answered yet, or answered before outcomes were
    # recorded (migration 0016) -- unknown, never counted as substantiated.
    outcome: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # satisfied | basically_satisfied | unsatisfied; NULL when auto-closed without feedback.
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    supervised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Tracking by number + secret (complaints/services/tracking.py, migration 0018): wrong secrets in a
    # row, and the lookup is refused until this time once there were too many.
    track_failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    track_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The one-time SMS code that lets a lookup by number + secret give feedback: its HMAC
    # ("" when none is pending), when it expires and how many times it was tried.
    feedback_code_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    feedback_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_code_attempts: Mapped[int] = mapped_column(Integer, default=0,
                                                        server_default=text("0"))

    institution: Mapped[Institution | None] = relationship()
    district: Mapped[District | None] = relationship()
    responsible_department: Mapped[Department] = relationship()
    rule: Mapped[RoutingRule] = relationship()
    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id"
    )
    co_handlings: Mapped[list[CoHandling]] = relationship(
        back_populates="complaint", order_by="CoHandling.id"
    )

    @property
    def subject_name(self) -> str:
        return subject_of(self.institution.name if self.institution else None, self.place_name)


def subject_of(institution_name: str | None, place_name: str) -> str:
    """What a complaint is about: the institution, else the unregistered place it names."""
    return institution_name or place_name or "未登记场所"


class ComplaintEvent(Base):
    """One step of a complaint's life (执法全过程记录); rows are only ever added."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The actor's role at the time ("" for the complainant or the system).
    actor_role: Mapped[str] = mapped_column(String(20), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    kind: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(10), default="")
    to_status: Mapped[str] = mapped_column(String(10), default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    complaint: Mapped[Complaint] = relationship(back_populates="events")
    department: Mapped[Department | None] = relationship()


class ComplaintPhoto(Base):
    """A photo sent with a complaint, re-encoded (complaints/rules/photos.py: only pixels kept).

    Stored in the database, not as files: a photo is written in the complaint's own transaction
    (a refused or repeated filing leaves no orphan file), every web process and host reads it
    without shared storage, `portal backup` and `portal restore` carry it, deleting the row
    deletes it, and nothing can serve it but the authorised view. After re-encoding a photo is
    ≈ 0.3–0.8 MB, at most three per complaint. `data` is deferred: lists never load it.
    """

    __tablename__ = "complaint_photos"
    __table_args__ = (UniqueConstraint("complaint_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 in the order chosen
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)  # bytes of `data`
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


PENDING_CO = "replied_at IS NULL AND settled_at IS NULL"


class CoHandling(Base):
    """A co-handling office (会办) asked for its part of the answer."""

    __tablename__ = "co_handlings"
    __table_args__ = (
        UniqueConstraint("complaint_id", "department_id"),
        # The co-handling tab and its count read only live requests, however many settled ones
        # an office has accumulated over the years.
        Index("ix_co_handlings_pending", "department_id", "complaint_id",
              sqlite_where=text(PENDING_CO), postgresql_where=text(PENDING_CO)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the complaint is answered with this request unreplied (it is no longer pending);
    # cleared when the complaint is reopened.
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint] = relationship(back_populates="co_handlings")
    department: Mapped[Department] = relationship()


class QueueCount(Base):
    """Signed changes to an office's queue counts, kept by database triggers (migration 0010).

    Each complaint that enters an office's queue in a status adds a row (`bucket` = the status,
    `n` = +1) and each that leaves it adds one with -1; each co-handling request that starts or
    stops pending adds one to the `co` bucket. An office's count in a bucket is the sum of its
    rows, exact in every transaction, however the complaint changed (ORM, bulk update, an
    operator's SQL). Only inserts: no row is a hot spot for concurrent filings on PostgreSQL, and
    no two transactions wait for each other's rows. `portal.core.signed_counts.fold` (an rq cron job)
    replaces the rows of each office and bucket with their sum, so a read sums a handful of rows.
    """

    __tablename__ = "queue_counts"
    __table_args__ = (Index("ix_queue_counts_office", "office_id", "bucket", "n"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[str] = mapped_column(String(10))
    n: Mapped[int] = mapped_column(Integer)


class ReferenceVersion(Base):
    """One row: a number that triggers (migration 0012) add one to in the transaction of any
    change of `routing_rules`, `departments` or `holiday_years`. What a process read of those
    tables stays good while the number stays the same (complaints/services/reference.py)."""

    __tablename__ = "reference_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)
