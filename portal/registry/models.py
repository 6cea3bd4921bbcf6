"""Every registry import (the CLI's and the back office's) and, for each row it wrote, what the
row was before, so that an import can be listed and, until something depends on it, rolled back
(portal/registry/rules/rollback.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from portal.core.db import Base, UTCDateTime, utcnow

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
