"""The registry's own tables: an institution's operating status over time (issue 20, the
registry lifecycle). The current status is `institutions.operating_status`; each change is a row
here with its date, reason, who recorded it and, for a suspension or exit, the 安置 plan and its
progress (portal/registry/rules/lifecycle.py). The page shows these rows: migration 0024 puts
them under the page-version triggers of migration 0009."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import Base, UTCDateTime, utcnow


class StatusChange(Base):
    __tablename__ = "institution_status_changes"
    __table_args__ = (
        Index("ix_institution_status_changes_inst", "institution_id", "effective_on"),
        CheckConstraint("resettled_count >= 0", name="resettled_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))  # vocab.OPERATING_STATUSES
    previous_status: Mapped[str] = mapped_column(String(20))
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    # 安置: elders in care when the service stopped (None: not a stop), where they go, by when,
    # and the progress (how many so far, the day the last one was resettled).
    elders_to_resettle: Mapped[int | None] = mapped_column(Integer)
    resettle_to: Mapped[str] = mapped_column(String(200), default="")
    resettle_by: Mapped[date | None] = mapped_column(Date)
    resettled_count: Mapped[int] = mapped_column(Integer, default=0)
    resettled_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlaceFollowUp(Base):
    """What became of an unregistered place (未登记/未备案场所, an `institutions` row with
    `discovered_on`): 已登记 (converted: the same row, its filing fields set), 已取缔 or 已转介,
    with the day and a note. Rows are only added; the newest is the place's state
    (portal/registry/rules/places.py). Migration 0026."""

    __tablename__ = "place_follow_ups"
    __table_args__ = (
        Index("ix_place_follow_ups_inst", "institution_id", "decided_on"),
        CheckConstraint("outcome IN ('registered', 'banned', 'referred')", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(12))  # rules/places.py OUTCOMES
    decided_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InstitutionMerge(Base):
    """A record merged into another (portal/registry/merge.py): the duplicate's id, which is
    gone, and the institution it lives on in, so its old page address leads there. A later
    merge of that institution moves these rows on (rules/merge.py MOVED). Migration 0026."""

    __tablename__ = "institution_merges"

    merged_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    merged_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
