"""An open day and its sign-ups; the seat count is kept on the event and checked by the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, utcnow
from portal.institutions.models import Institution

SCHEDULED, CLOSED, HELD, CANCELLED = "scheduled", "closed", "held", "cancelled"
EVENT_STATUSES = (SCHEDULED, CLOSED, HELD, CANCELLED)
# A sign-up's `status`: "confirmed" while it holds its seats, "cancelled" once they are freed.
# A held sign-up whose phone has not yet entered its SMS code has `confirmed_at` NULL (pending);
# it holds its seats only until `code_expires_at` (portal/opendays/services/signups.py).
CONFIRMED = "confirmed"
# Why a sign-up was cancelled (`cancel_reason`).
BY_LINK, UNCONFIRMED, CODE_FAILED, DUPLICATE = "by_link", "unconfirmed", "code_failed", "duplicate"
IDENTITIES = ("人大代表", "政协委员", "新闻媒体", "家属", "公众")
CAPACITY_MIN, CAPACITY_MAX = 1, 500
PARTY_MIN, PARTY_MAX = 1, 5
RATING_MIN, RATING_MAX = 1, 5


class OpenDay(Base):
    __tablename__ = "open_days"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        # The last line of defence against overbooking: no update may push seats past capacity.
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "status IN ('scheduled', 'closed', 'held', 'cancelled')", name="status_known"
        ),
        Index("ix_open_days_status_starts", "status", "starts_at"),
        Index("ix_open_days_institution_starts", "institution_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    signup_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text, default="")
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=SCHEDULED)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Institution] = relationship()

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)


class Signup(Base):
    __tablename__ = "open_day_signups"
    __table_args__ = (
        CheckConstraint(f"party_size BETWEEN {PARTY_MIN} AND {PARTY_MAX}", name="party_range"),
        CheckConstraint("status IN ('confirmed', 'cancelled')", name="status_known"),
        CheckConstraint(
            f"feedback_rating IS NULL OR feedback_rating BETWEEN {RATING_MIN} AND {RATING_MAX}",
            name="feedback_range",
        ),
        Index("ix_open_day_signups_event_status", "open_day_id", "status"),
        # One sign-up per phone per event: among the sign-ups holding seats (pending or
        # confirmed) a phone appears once; cancelled ones do not count. Phones are stored
        # normalised (complaints.rules.intake.normalise_phone, 11 digits checked), so the column is
        # the normalised phone.
        Index("uq_open_day_signups_event_phone", "open_day_id", "phone", unique=True,
              sqlite_where=text("status = 'confirmed'"),
              postgresql_where=text("status = 'confirmed'")),
        Index("ix_open_day_signups_phone_created", "phone", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    open_day_id: Mapped[int] = mapped_column(ForeignKey("open_days.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    # Personal data: shown in full only to the institution's own staff and civil affairs.
    phone: Mapped[str] = mapped_column(String(20))
    identity: Mapped[str] = mapped_column(String(10))
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default=CONFIRMED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_rating: Mapped[int | None] = mapped_column(Integer)
    feedback_text: Mapped[str] = mapped_column(Text, default="")
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Confirmation by SMS code: NULL until the phone entered its code (see CONFIRMED above).
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_hash: Mapped[str | None] = mapped_column(String(64))  # HMAC of the code, never the code
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cancel_reason: Mapped[str | None] = mapped_column(String(20))
    # A hash of the posting browser's CSRF token: the same browser posting the form again is
    # sent to its sign-up; anyone else is told the phone has signed up already.
    browser_key: Mapped[str | None] = mapped_column(String(40))

    open_day: Mapped[OpenDay] = relationship()

    @property
    def pending(self) -> bool:
        return self.status == CONFIRMED and self.confirmed_at is None
