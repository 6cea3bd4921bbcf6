"""Background jobs: recording in the outbox, dispatch after commit, running, the sweeper.

A change and the job it needs are written in one transaction (`record_job`); after the commit
the job is pushed to RQ. If Redis is down the row waits and `sweep_outbox` (run by `portal cron`)
pushes it later. Each RQ job only carries the outbox id; `run_outbox_job` claims the row with a
conditional UPDATE, so a job dispatched twice still runs once. The rows of a batched task are
claimed many at a time by one `run_batch` job instead (below). A claim is a lease that the
claiming process renews while it lives (`portal.outbox_lease`): the sweeper gives back the rows
of a worker that died within a minute, and never those of a live one. The table and the `@task`
decorator are `portal.outbox`'s, and importable from here.

Logged (logger `portal.jobs`): a job recorded and pushed (DEBUG), a failed attempt left for a
retry (WARNING), a job given up after MAX_ATTEMPTS (ERROR), a batch's outcome, the sweeper's
re-enqueues (INFO). A line names the job's id, task and attempt, never its arguments; an
error's text is scrubbed of personal data (`portal.privacy.scrub`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import CursorResult, event, or_, select, update
from sqlalchemy.orm import Session

from portal.db import session_factory, session_scope, utcnow

# The outbox's definitions, imported from here by the tasks and the tests as before.
from portal.outbox import (
    BATCHED,
    MAX_ATTEMPTS,
    OutboxJob,
    resolve_task,
    task_path,
)
from portal.outbox import task as task
from portal.outbox_lease import Lease
from portal.privacy import scrub
from portal.settings import get_settings

log = logging.getLogger(__name__)

JOB_TIMEOUT = 600


def record_job(
    session: Session,
    fn: Callable[..., Any],
    *args: Any,
    queue: str = "default",
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> OutboxJob:
    """Add a job to the outbox in the caller's transaction; it is dispatched after commit."""
    if not getattr(fn, "is_portal_task", False):
        raise ValueError(f"{fn!r} is not decorated with @task")
    # Marked as pushed already: it is pushed right after the commit, and marking it there would
    # take a second write transaction per change. If that push fails the mark is taken back
    # (`_push_after_commit`); if the process dies in between, the sweeper finds the row stale.
    job = OutboxJob(
        func=task_path(fn), args=list(args), queue=queue, run_at=run_at, dedupe_key=dedupe_key,
        enqueued_at=utcnow(),
    )
    session.add(job)
    session.info.setdefault("outbox_new", []).append(job)
    log.debug("outbox: %s recorded (queue %s%s); pushed after the commit", job.func, queue,
              f", runs at {run_at.isoformat()}" if run_at else "")
    return job


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    jobs = session.info.pop("outbox_new", None)
    if jobs:
        _push_after_commit([(job.id, job.queue, job.run_at, job.func) for job in jobs])


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("outbox_new", None)


_clients: dict[str, Redis] = {}


def redis_connection(url: str | None = None) -> Redis:
    """One client (and connection pool) per Redis URL per process: a new client per call opened
    a new connection each time (≈ 1 ms, a third of the time of filing a complaint)."""
    url = url or get_settings().redis_url
    client = _clients.get(url)
    if client is None:
        # Short timeouts: a web request must not hang when Redis is away.
        client = _clients[url] = Redis.from_url(url, socket_connect_timeout=0.5,
                                                socket_timeout=2)
    return client


def _enqueue(conn: Redis, outbox_id: int, queue: str, run_at: datetime | None) -> None:
    q = Queue(queue, connection=conn)
    kwargs = dict(job_id=f"outbox-{outbox_id}", job_timeout=JOB_TIMEOUT, failure_ttl=86400)
    if run_at and run_at > utcnow():
        q.enqueue_at(run_at, run_outbox_job, outbox_id, **kwargs)
    else:
        q.enqueue(run_outbox_job, outbox_id, **kwargs)


def _push_after_commit(jobs: list[tuple[int, str, datetime | None, str]]) -> None:
    """Push just-committed outbox rows (already marked as pushed); on a Redis error take the
    mark back so the next sweep pushes them. Never raises for Redis errors."""
    pushed: set[int] = set()
    try:
        conn = redis_connection()
        woken: set[str] = set()
        for outbox_id, queue, run_at, func in jobs:
            if run_at is None and func in BATCHED:
                if func not in woken:
                    wake_batch(conn, func, queue)
                    woken.add(func)
            else:
                _enqueue(conn, outbox_id, queue, run_at)
            pushed.add(outbox_id)
        log.debug("outbox: pushed job(s) %s to RQ%s", sorted(pushed),
                  f"; woke the batch of {', '.join(sorted(woken))}" if woken else "")
    except RedisError as exc:
        left = [job[0] for job in jobs if job[0] not in pushed]
        log.warning("outbox: Redis unavailable, %d job(s) left for the sweeper: %s",
                    len(left), exc)
        with session_scope(get_settings().database_url) as session:
            session.execute(update(OutboxJob).where(OutboxJob.id.in_(left))
                            .values(enqueued_at=None))


def dispatch(ids: list[int]) -> int:
    """Push outbox rows to RQ; returns how many were enqueued. Never raises for Redis errors."""
    if not ids:
        return 0
    settings = get_settings()
    try:
        conn = redis_connection()
        with session_scope(settings.database_url) as session:
            rows = session.scalars(select(OutboxJob).where(OutboxJob.id.in_(ids))).all()
            sent = []
            for row in rows:
                _enqueue(conn, row.id, row.queue, row.run_at)
                sent.append(row.id)
            if sent:
                session.execute(
                    update(OutboxJob).where(OutboxJob.id.in_(sent)).values(enqueued_at=utcnow())
                )
                log.info("outbox: job(s) %s enqueued again", sent)
            return len(sent)
    except RedisError as exc:
        log.warning("outbox: Redis unavailable, %d job(s) left for the sweeper: %s", len(ids), exc)
        return 0


def run_outbox_job(outbox_id: int) -> str:
    """RQ entry point: claim the outbox row, run its task once, record the outcome. A job whose
    database connection is lost fails; the sweeper gives its row back (`sweep_outbox`)."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        claimed = session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == outbox_id, OutboxJob.status == "pending")
            .values(status="running", started_at=utcnow(), attempts=OutboxJob.attempts + 1)
        )
        if not cast(CursorResult[Any], claimed).rowcount:
            log.debug("outbox job %d: not pending (run or claimed elsewhere); skipped", outbox_id)
            return "skipped"
        row = session.get_one(OutboxJob, outbox_id)
        func, args, attempts = row.func, list(row.args), row.attempts
    _lease.hold([outbox_id])
    try:
        _run_claimed(outbox_id, func, args, attempts)
    finally:
        _lease.release([outbox_id])
    return "done"


def _renew_claims(ids: list[int]) -> None:
    """The lease's heartbeat: this process still runs these rows."""
    with session_scope(get_settings().database_url) as session:
        session.execute(update(OutboxJob)
                        .where(OutboxJob.id.in_(ids), OutboxJob.status == "running")
                        .values(started_at=utcnow()))


def lease_seconds() -> int:
    return get_settings().outbox_lease_seconds


# Renewed every quarter of the lease: three beats may be late before a live claim lapses.
_lease = Lease(_renew_claims, every=lambda: lease_seconds() / 4)


def _run_claimed(outbox_id: int, func: str, args: list[Any], attempts: int,
                 session: Session | None = None) -> None:
    """Run a claimed row's task and record the outcome (done; or pending again, failed after
    MAX_ATTEMPTS, with the error); re-raises the task's error. An in-session task runs in
    `session` (a batch passes one for all its rows, rather than a session and a pooled
    connection per row), committed here."""
    own = session is None
    if session is None:
        session = session_factory(get_settings().database_url)()
    try:
        try:
            fn = resolve_task(func)
            if getattr(fn, "in_session", False):
                fn(session, *args)
            else:
                fn(*args)
            session.execute(update(OutboxJob).where(OutboxJob.id == outbox_id)
                            .values(status="done", finished_at=utcnow()))
            session.commit()
            log.debug("outbox job %d (%s): done at attempt %d", outbox_id, func, attempts)
        except Exception as exc:
            session.rollback()
            _log_failure(outbox_id, func, attempts, exc)
            session.execute(
                update(OutboxJob)
                .where(OutboxJob.id == outbox_id)
                .values(
                    status="failed" if attempts >= MAX_ATTEMPTS else "pending",
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    enqueued_at=None if attempts < MAX_ATTEMPTS else utcnow(),
                )
            )
            session.commit()
            raise
    finally:
        if own:
            session.close()


def _log_failure(outbox_id: int, func: str, attempts: int, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {scrub(str(exc))}"[:500]
    if attempts >= MAX_ATTEMPTS:
        log.error("outbox job %d (%s): given up after %d attempts: %s", outbox_id, func,
                  attempts, error)
    else:
        log.warning("outbox job %d (%s): attempt %d of %d failed, left for the sweeper to retry: "
                    "%s", outbox_id, func, attempts, MAX_ATTEMPTS, error)


# A batched task's jobs (`@task(batched=True)`) come one per request: at intake's rate one RQ job
# each (16 Redis round trips, two transactions) cost the worker half as much CPU as the web
# spent filing the complaint, on the same two cores (bench/RESULTS.md, sixth pass). Instead a
# commit wakes one `run_batch` job per task, unless one is already waiting: the wake key is set
# when it is enqueued and deleted when it starts, before it claims, so a row committed after
# that start wakes the next one, and a row committed before it is claimed by it.
BATCH = 50
BATCH_ROUNDS = 10  # at most 500 rows per job; then it wakes the next so other jobs get a turn
WAKE_TTL = 60  # a wake lost with its job (a worker killed before the start) stops waiting
WAKE_KEY = "portal:outbox:wake:"


def wake_batch(conn: Redis, func: str, queue: str = "default") -> None:
    """Enqueue `run_batch(func)` unless one is waiting to start."""
    if conn.set(WAKE_KEY + func, "1", nx=True, ex=WAKE_TTL):
        Queue(queue, connection=conn).enqueue(run_batch, func, queue, job_timeout=JOB_TIMEOUT,
                                              result_ttl=0, failure_ttl=86400)
    else:
        log.debug("outbox: a batch of %s is already waiting to start; not woken again", func)


def claim_batch(session: Session, func: str, limit: int, now: datetime) -> list[tuple]:
    """Claim up to `limit` pending rows of a task that are due: (id, args, attempts)."""
    # A CTE, which PostgreSQL runs once: as an IN (subquery) its LIMIT ... SKIP LOCKED was run
    # again during the update and claimed every pending row (tested). SKIP LOCKED lets two
    # batches claim different rows instead of one waiting; SQLite writes one at a time anyway.
    due = (select(OutboxJob.id)
           .where(OutboxJob.func == func, OutboxJob.status == "pending",
                  or_(OutboxJob.run_at.is_(None), OutboxJob.run_at <= now))
           .order_by(OutboxJob.id).limit(limit)
           .with_for_update(skip_locked=True)).cte("due")
    claimed = session.execute(
        update(OutboxJob)
        .where(OutboxJob.id.in_(select(due.c.id)), OutboxJob.status == "pending")
        .values(status="running", started_at=now, attempts=OutboxJob.attempts + 1)
        .returning(OutboxJob.id, OutboxJob.args, OutboxJob.attempts)
    ).all()
    return sorted(tuple(row) for row in claimed)


class BatchFailures(Exception):
    """Some rows of a batch failed (each is recorded on its row); raised after the others ran,
    so RQ lists the batch job as failed with the first error."""


def run_batch(func: str, queue: str = "default") -> int:
    """RQ entry point of a batched task: claim its pending rows BATCH at a time and run each
    in its own transaction, as `run_outbox_job` runs one; a row's failure is recorded on it and
    the others go on. Returns how many ran."""
    settings = get_settings()
    conn = redis_connection()
    conn.delete(WAKE_KEY + func)
    ran, errors = 0, []
    for _ in range(BATCH_ROUNDS):
        with session_factory(settings.database_url)() as session:
            rows = claim_batch(session, func, BATCH, utcnow())
            session.commit()
            left = {row[0] for row in rows}
            _lease.hold(left)  # rows still waiting their turn in the batch are renewed too
            try:
                for outbox_id, args, attempts in rows:
                    try:
                        _run_claimed(outbox_id, func, list(args), attempts, session)
                        ran += 1
                    except Exception as exc:
                        errors.append(f"outbox job {outbox_id}: {type(exc).__name__}: {exc}")
                    finally:
                        _lease.release([outbox_id])
                        left.discard(outbox_id)
            finally:
                _lease.release(left)
        if len(rows) < BATCH:
            break
    else:
        log.info("outbox: batch of %s ran %d rounds; more rows waiting, next batch woken", func,
                 BATCH_ROUNDS)
        wake_batch(conn, func, queue)  # more are waiting: after the jobs queued meanwhile
    log.log(logging.INFO if ran or errors else logging.DEBUG,
            "outbox: batch of %s: %d job(s) done, %d failed", func, ran, len(errors))
    if errors:
        raise BatchFailures(f"{len(errors)} of {ran + len(errors)} failed; {errors[0]}")
    return ran


def stale_job_ids(session: Session, now: datetime, stale_seconds: int,
                  lease: int) -> list[int]:
    """Outbox rows that should have run by now but have not (pure query, no side effects):
    pending rows not pushed for `stale_seconds`, running rows whose lease was not renewed for
    `lease` seconds (their worker died)."""
    stale = now - timedelta(seconds=stale_seconds)
    hung = now - timedelta(seconds=lease)
    pending = select(OutboxJob.id).where(
        OutboxJob.status == "pending",
        or_(OutboxJob.enqueued_at.is_(None), OutboxJob.enqueued_at < stale),
        or_(OutboxJob.run_at.is_(None), OutboxJob.run_at < now),
    )
    running = select(OutboxJob.id).where(OutboxJob.status == "running", OutboxJob.started_at < hung)
    return list(session.scalars(pending.union(running)))


def sweep_outbox(now: datetime | None = None) -> int:
    """Re-enqueue outbox rows left behind by a Redis or worker outage. Run by `portal cron`.

    Failed attempts come back at once; a row left 'running' by a worker that died is given
    back once its lease lapsed, PORTAL_OUTBOX_LEASE_SECONDS after the dead worker's last
    renewal (`now` lets tests look ahead in time).
    """
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        ids = stale_job_ids(session, now or utcnow(), settings.outbox_stale_seconds,
                            settings.outbox_lease_seconds)
        if ids:
            # A worker that died mid-job leaves 'running'; give it back.
            # The lease is checked again in the UPDATE: a renewal since the SELECT keeps it.
            hung = (now or utcnow()) - timedelta(seconds=settings.outbox_lease_seconds)
            given_back = session.execute(
                update(OutboxJob)
                .where(OutboxJob.id.in_(ids), OutboxJob.status == "running",
                       OutboxJob.started_at < hung)
                .values(status="pending")
            )
            log.info("outbox sweeper: job(s) %s left behind (%d running past their lease given "
                     "back); pushing them again", ids,
                     cast(CursorResult[Any], given_back).rowcount)
    return dispatch(ids)
