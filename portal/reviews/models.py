"""A public review of an institution: five star ratings, text, moderation and one reply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, utcnow
from portal.institutions.models import Institution

# (column, label) in the order of SPEC §4; the column names are the form field names too.
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("rating_attitude", "服务态度"),
    ("rating_hygiene", "环境卫生"),
    ("rating_meals", "餐饮"),
    ("rating_care", "医疗护理"),
    ("rating_fees", "收费透明"),
)
RATING_MIN, RATING_MAX = 1, 5
TEXT_MIN, TEXT_MAX = 10, 1000
PENDING, PUBLISHED, REJECTED = "pending", "published", "rejected"
STATUSES = (PENDING, PUBLISHED, REJECTED)


def _rating_range(column: str) -> CheckConstraint:
    return CheckConstraint(
        f"{column} BETWEEN {RATING_MIN} AND {RATING_MAX}", name=f"{column}_range"
    )


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        *(_rating_range(column) for column, _ in DIMENSIONS),
        CheckConstraint(
            f"length(text) BETWEEN {TEXT_MIN} AND {TEXT_MAX}", name="text_length"
        ),
        CheckConstraint(
            "status IN ('pending', 'published', 'rejected')", name="status_known"
        ),
        Index("ix_reviews_institution_status", "institution_id", "status"),
        # The 90-day rule looks up (institution, phone) within a time window.
        Index("ix_reviews_institution_phone", "institution_id", "phone_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE")
    )
    rating_attitude: Mapped[int] = mapped_column(Integer)
    rating_hygiene: Mapped[int] = mapped_column(Integer)
    rating_meals: Mapped[int] = mapped_column(Integer)
    rating_care: Mapped[int] = mapped_column(Integer)
    rating_fees: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # Optional; only ever shown masked (张**).
    reviewer_name: Mapped[str] = mapped_column(String(20), default="")
    # HMAC-SHA256 keyed with the secret key: the phone and IP themselves are never stored.
    phone_hash: Mapped[str] = mapped_column(String(64))
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    reject_reason: Mapped[str] = mapped_column(String(200), default="")
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_text: Mapped[str | None] = mapped_column(Text)
    reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Institution] = relationship()

    def rating(self, column: str) -> int:
        return int(getattr(self, column))
