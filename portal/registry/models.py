"""The registry's own tables.

- An institution's operating status over time (issue 20, the registry lifecycle). The current
  status is `institutions.operating_status`; each change is a row of `StatusChange` with its
  date, reason, who recorded it and, for a suspension or exit, the 安置 plan and its progress
  (portal/registry/rules/lifecycle.py). The page shows these rows: migration 0024 puts them
  under the page-version triggers of migration 0009.
- Unregistered places' follow-ups and merged records (migration 0026).
- Every registry import (the CLI's and the back office's) and, for each row it wrote, what the
  row was before, so that an import can be listed and, until something depends on it, rolled
  back (portal/registry/rules/rollback.py; migration 0028).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

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


# An import's life: queued (uploaded, the job not started), running, then one of
# checked (a dry run done), rejected (bad rows, nothing written), done (written; it may have
# changed nothing), failed (the file could not be read, or the job broke: nothing written),
# rolled_back.
STATUSES = {
    "queued": "排队中",
    "running": "进行中",
    "checked": "检查完成（未写入）",
    "rejected": "有错误，未写入",
    "done": "已导入",
    "failed": "失败",
    "rolled_back": "已撤销",
}
MODES = {"dry_run": "只检查", "import": "导入", "valid_only": "仅导入有效行"}
FINISHED = frozenset({"checked", "rejected", "done", "failed", "rolled_back"})


class Import(Base):
    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # portal/registry/kinds.py
    mode: Mapped[str] = mapped_column(String(20))  # MODES
    status: Mapped[str] = mapped_column(String(20), default="queued")
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    # The uploaded file, kept so the worker reads it wherever it runs and "import the valid
    # rows only" after a dry run needs no second upload. NULL for the CLI's (its file is local).
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    # The import whose report led to this one (a dry run, or an import refused for bad rows).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(60), default="")  # a login, or 命令行
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_bad: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    # {"summary": [lines], "problems": [[row, column, message], ...]}
    report: Mapped[dict[str, Any]] = deferred(mapped_column(JSON, default=dict, nullable=False))
    error: Mapped[str] = mapped_column(Text, default="")
    rolled_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rolled_back_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def mode_label(self) -> str:
        return MODES.get(self.mode, self.mode)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class ImportChange(Base):
    """One row an import wrote: `added` (rollback deletes it) or `updated` (rollback writes
    `before` back). `after` is what the import wrote, to tell whether anyone changed the row
    since. Values are JSON-plain (dates as ISO text, amounts as text)."""

    __tablename__ = "import_changes"
    __table_args__ = (Index("ix_import_changes_row", "table_name", "row_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"),
                                           index=True)
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))  # added, updated
    label: Mapped[str] = mapped_column(String(120), default="")  # how the report names the row
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
