"""`portal cron`: RQ's cron scheduler (rq.cron) that survives Redis outages and says it lives.

`rq cron` ended at the first Redis error: a job falling due while Redis was down raised a
ConnectionError out of its loop, and the outbox sweeper, clock sweeps, backups and snapshots
stopped silently (issue 18 item 4). This loop is RQ's `CronScheduler` (same jobs, same
registry and job history, which the operations page reads) with three changes:

- a Redis error is logged once when the outage starts, then the scheduler waits 1, 2, 4 … at
  most BACKOFF_MAX seconds and tries again; a job that fell due meanwhile stays due (rq.cron
  moves a job's next time only after it was enqueued) and is enqueued once Redis is back;
- every tick, even during an outage, is recorded in the database (`portal.health`), where
  /healthz and the operations page see a scheduler that died or hangs;
- a stop (SIGTERM, Ctrl-C) while Redis is away ends it quietly.

Logged (logger `portal.scheduler`): each job enqueued when due (INFO, with its next time), the
start and end of a Redis outage (WARNING), start and stop.
"""

from __future__ import annotations

import logging
import time

from redis import Redis
from redis.exceptions import RedisError
from rq.cron import CronScheduler
from rq.exceptions import DuplicateSchedulerError, SchedulerNotFound, StopRequested
from sqlalchemy.exc import SQLAlchemyError

from portal.db import session_scope, utcnow
from portal.health import record_beat
from portal.settings import get_settings

log = logging.getLogger(__name__)

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
TICK_MAX = 30.0  # at least one beat this often, whatever the next job's time


class ResilientCron(CronScheduler):
    def __init__(self, connection: Redis, database_url: str) -> None:
        super().__init__(connection=connection, name="")
        self.database_url = database_url
        self._registered = False

    def _tick(self) -> None:
        """One round of rq.cron's loop: register (once), enqueue what is due, heartbeat."""
        if not self._registered:
            try:
                self.register_birth()
            except DuplicateSchedulerError:
                pass  # the first attempt reached Redis before its answer was lost
            self._registered = True
        enqueued = self.enqueue_jobs()
        for job in enqueued:
            log.info("scheduler: %s due, enqueued on %s; next at %s", job.name, job.queue_name,
                     job.get_next_enqueue_time().isoformat(timespec="seconds"))
        if enqueued:
            self.save()
        self.heartbeat()

    def _beat(self, redis_error: str = "") -> None:
        try:
            with session_scope(self.database_url) as session:
                record_beat(session, utcnow(), redis_error)
        except SQLAlchemyError as exc:  # the database is away: /healthz says so itself
            log.warning("scheduler: could not record its tick: %s", exc)

    def start(self) -> None:
        log.info("scheduler %s: starting with %d jobs", self.name, len(self.get_jobs()))
        self._install_signal_handlers()
        down_since: float | None = None
        wait = BACKOFF_FIRST
        try:
            while True:
                try:
                    self._tick()
                except RedisError as exc:
                    if down_since is None:
                        down_since = time.monotonic()
                        log.warning("scheduler: Redis unreachable (%s); due jobs wait, "
                                    "retrying with backoff", exc)
                    self._beat(f"{type(exc).__name__}: {exc}")
                    time.sleep(wait)
                    wait = min(wait * 2, BACKOFF_MAX)
                    continue
                if down_since is not None:
                    log.warning("scheduler: Redis reachable again after %.0f s; due jobs enqueued",
                                time.monotonic() - down_since)
                    down_since, wait = None, BACKOFF_FIRST
                self._beat()
                time.sleep(min(self.calculate_sleep_interval(), TICK_MAX))
        except (KeyboardInterrupt, StopRequested):
            log.info("scheduler %s: stop requested", self.name)
        finally:
            try:
                self.register_death()
            except (RedisError, SchedulerNotFound):
                pass
            log.info("scheduler %s: stopped", self.name)


def run_cron() -> int:
    """`portal cron`: load portal.cron's jobs and run until stopped."""
    from portal.jobs import redis_connection

    settings = get_settings()
    scheduler = ResilientCron(redis_connection(settings.redis_url), settings.database_url)
    scheduler.load_config_from_file("portal.cron")
    scheduler.start()
    return 0
