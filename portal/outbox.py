"""The outbox table and what may run from it: `OutboxJob`, the `@task` decorator, task paths.

What a background job is, apart from how it is delivered: `portal.jobs` records jobs in this
table, pushes them to RQ after the commit, runs them and sweeps up those left behind.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow

TASK_PACKAGES = ("portal.", "complaints.", "search.")
# Paths of the tasks marked `batched` (`task`); a process that records such a job has imported
# its module, so the task is here when the job is pushed after the commit.
BATCHED: set[str] = set()
MAX_ATTEMPTS = 5


class OutboxJob(Base):
    __tablename__ = "outbox_jobs"
    __table_args__ = (Index("ix_outbox_jobs_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    func: Mapped[str] = mapped_column(String(200))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    queue: Mapped[str] = mapped_column(String(30), default="default")
    # pending → running → done; failed after MAX_ATTEMPTS.
    status: Mapped[str] = mapped_column(String(10), default="pending")
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


def task(fn: Callable[..., Any] | None = None, *, in_session: bool = False,
         batched: bool = False) -> Any:
    """Mark a function as a background task that the outbox may run: `@task`.

    `@task(in_session=True)`: the task takes the outbox's database session as its first
    argument and writes in it, and the outbox marks the job done in the same transaction — one
    write transaction fewer per job. On SQLite every write transaction waits for the single
    write turn, and an acknowledgement SMS took three (claim, mark sent, mark done) against a
    complaint's one. The claim stays its own transaction: it is what makes a job pushed twice
    run once.

    `@task(in_session=True, batched=True)`: for jobs that come one per request (a complaint's
    SMS). After a commit they are not pushed one RQ job each: one `run_batch` job is woken for
    the task, claims up to BATCH of its pending rows in one transaction and runs each in its own
    (see `run_batch`).
    """
    if batched and not in_session:
        raise ValueError("a batched task runs in the outbox's session: in_session=True")

    def mark(f: Callable[..., Any]) -> Callable[..., Any]:
        f.is_portal_task = True  # type: ignore[attr-defined]
        f.in_session = in_session  # type: ignore[attr-defined]
        if batched:
            BATCHED.add(task_path(f))
        return f

    return mark(fn) if fn is not None else mark


def task_path(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def resolve_task(path: str) -> Callable[..., Any]:
    module_name, _, name = path.partition(":")
    if not module_name.startswith(TASK_PACKAGES):
        raise ValueError(f"not a portal task: {path}")
    fn = getattr(importlib.import_module(module_name), name, None)
    if fn is None or not getattr(fn, "is_portal_task", False):
        raise ValueError(f"not a portal task: {path}")
    return fn
