"""What the operations page shows, read from Redis/RQ, the outbox table and the search index.

Every reader here is side-effect free; the two retry functions are the only writers. Redis
being down is an answer ("unavailable"), never an exception for the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.cron import get_cron_job_ids
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.core.jobs import OutboxJob, dispatch
from portal.institutions.models import Institution

OUTBOX_PREFIX = "outbox-"
FAILED_SHOWN = 50  # failed jobs listed per kind


class OpsError(Exception):
    """A retry that cannot be done (unknown job, nothing to retry); message in Chinese."""


@dataclass(frozen=True)
class QueueLength:
    name: str
    queued: int
    running: int
    scheduled: int
    failed: int


@dataclass(frozen=True)
class FailedJob:
    """A failed RQ job that is not an outbox job (those are listed from the outbox table)."""

    id: str
    queue: str
    func: str
    reason: str
    ended_at: datetime | None


@dataclass(frozen=True)
class PeriodicRun:
    name: str
    schedule: str
    last_enqueued: datetime | None
    status: str  # finished | failed | queued | started | never | expired (finished, result gone)


@dataclass(frozen=True)
class IndexCount:
    documents: int | None  # None: the index is missing or unreadable
    institutions: int

    @property
    def in_step(self) -> bool:
        return self.documents == self.institutions


def reason_of(text: str | None) -> str:
    """The last non-empty line of a traceback: 'ConnectionRefusedError: …'."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else "（未记录原因）"


def queue_lengths(conn: Redis, names: tuple[str, ...]) -> list[QueueLength]:
    result = []
    for name in names:
        queue = Queue(name, connection=conn)
        result.append(QueueLength(
            name=name,
            queued=queue.count,
            running=StartedJobRegistry(name, connection=conn).count,
            scheduled=ScheduledJobRegistry(name, connection=conn).count,
            failed=FailedJobRegistry(name, connection=conn).count,
        ))
    return result


def failed_rq_jobs(conn: Redis, names: tuple[str, ...], limit: int = FAILED_SHOWN) -> list[FailedJob]:
    """Failed RQ jobs, newest first, leaving out outbox jobs (the outbox row tells their story)."""
    found: list[FailedJob] = []
    for name in names:
        registry = FailedJobRegistry(name, connection=conn)
        ids = [i for i in registry.get_job_ids(desc=True) if not i.startswith(OUTBOX_PREFIX)]
        for job in Job.fetch_many(ids[:limit], connection=conn):
            if job is None:
                continue
            result = job.latest_result()
            text = result.exc_string if result is not None else job.exc_info
            found.append(FailedJob(job.id, name, job.func_name or "", reason_of(text),
                                   job.ended_at))
    found.sort(key=lambda j: j.ended_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return found[:limit]


def outbox_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxJob.status, func.count()).group_by(OutboxJob.status))
    counts = {"pending": 0, "running": 0, "done": 0, "failed": 0}
    counts.update({status: int(n) for status, n in rows})
    return counts


def outbox_problems(session: Session, limit: int = FAILED_SHOWN) -> list[OutboxJob]:
    """Rows that gave up (failed) or failed at least once and wait for their next attempt."""
    return list(session.scalars(
        select(OutboxJob)
        .where((OutboxJob.status == "failed")
               | ((OutboxJob.status == "pending") & (OutboxJob.last_error != "")))
        .order_by(OutboxJob.id.desc())
        .limit(limit)
    ))


def _schedule_label(schedule: dict[str, Any]) -> str:
    if "interval" in schedule:
        return f"每 {schedule['interval']} 秒"
    return f"cron {schedule['cron']}"


def periodic_runs(conn: Redis, recurring: list[tuple[Callable[..., Any], str, dict]]
                  ) -> list[PeriodicRun]:
    """The latest run `portal cron` (RQ's cron scheduler) started for each recurring job, from
    RQ's own job history."""
    runs = []
    for fn, _queue, schedule in recurring:
        name = f"{fn.__module__}.{fn.__name__}"  # rq.cron's default name for a job
        ids = get_cron_job_ids(name, conn, 0, 0)
        if not ids:
            runs.append(PeriodicRun(name, _schedule_label(schedule), None, "never"))
            continue
        try:
            job = Job.fetch(ids[0], connection=conn)
        except NoSuchJobError:
            # Failed jobs are kept for a year, finished ones for minutes: gone means finished.
            score = conn.zscore(f"rq:cron_job:{name}:jobs", ids[0])
            when = datetime.fromtimestamp(score, UTC) if score else None
            runs.append(PeriodicRun(name, _schedule_label(schedule), when, "expired"))
            continue
        status = job.get_status(refresh=False)
        runs.append(PeriodicRun(name, _schedule_label(schedule), _aware(job.enqueued_at),
                                str(status.value if status else "queued")))
    return runs


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def index_count(session: Session, index_dir: Path) -> IndexCount:
    from search.services.index import document_count

    return IndexCount(document_count(index_dir), int(session.scalar(
        select(func.count(Institution.id))) or 0))


# --- retries ---------------------------------------------------------------------------------


def retry_outbox(session: Session, outbox_id: int) -> OutboxJob:
    """Give a failed (or waiting) outbox row a fresh set of attempts; the caller commits and
    then calls `dispatch([row.id])`."""
    done = session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == outbox_id, OutboxJob.status.in_(("failed", "pending")))
        .values(status="pending", attempts=0, enqueued_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    row = session.get(OutboxJob, outbox_id, populate_existing=True)
    if row is None:
        raise OpsError("任务不存在")
    if not done:
        raise OpsError("该任务不在失败或等待状态，无需重试")
    return row


def after_outbox_retry(conn: Redis | None, row: OutboxJob) -> int:
    """After the commit: drop the old failure from RQ's registry and push the row again."""
    if conn is not None:
        try:
            FailedJobRegistry(row.queue, connection=conn).remove(f"{OUTBOX_PREFIX}{row.id}")
        except RedisError:
            pass  # the sweeper will push it
    return dispatch([row.id])


def retry_rq_job(conn: Redis, queue: str, job_id: str) -> Job:
    """Put a failed (non-outbox) RQ job back on its queue."""
    if job_id.startswith(OUTBOX_PREFIX):
        raise OpsError("外发任务请在“外发任务”表中重试")
    try:
        return FailedJobRegistry(queue, connection=conn).requeue(job_id)
    except (NoSuchJobError, InvalidJobOperation):
        raise OpsError("该失败任务已不存在（可能已重试或过期）") from None
