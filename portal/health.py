"""What /healthz and the operations page say about the background machinery: Redis and the RQ
workers (read from Redis), and the recurring-job scheduler's last tick (read from the
database, so a scheduler that died or hangs is seen even while Redis is down)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from redis.exceptions import RedisError
from sqlalchemy import CursorResult, Integer, String, Text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.db import Base, UTCDateTime
from portal.settings import get_settings

SCHEDULER = "cron"  # the one row `portal cron` beats


class SchedulerBeat(Base):
    """The last tick of the recurring-job scheduler (`portal cron`, portal/scheduler.py)."""

    __tablename__ = "scheduler_beats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    # "ok", or "unavailable" while the scheduler cannot reach Redis (it keeps retrying).
    redis: Mapped[str] = mapped_column(String(20), default="ok")
    error: Mapped[str] = mapped_column(Text, default="")


def record_beat(session: Session, now: datetime, redis_error: str = "") -> None:
    """The scheduler is alive at `now` (and could, or could not, reach Redis)."""
    values = dict(beat_at=now, host=socket.gethostname()[:255], pid=os.getpid(),
                  redis="unavailable" if redis_error else "ok", error=redis_error[:500])
    updated = session.execute(update(SchedulerBeat).where(SchedulerBeat.name == SCHEDULER)
                              .values(**values))
    if not cast(CursorResult[Any], updated).rowcount:
        session.add(SchedulerBeat(name=SCHEDULER, **values))


@dataclass(frozen=True)
class SchedulerState:
    status: str  # ok | stale | never
    beat_at: datetime | None
    age_seconds: int | None
    redis: str  # what the scheduler last saw of Redis
    stale_after: int

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "last_tick": self.beat_at.isoformat() if self.beat_at
                else None, "age_seconds": self.age_seconds, "redis": self.redis,
                "stale_after_seconds": self.stale_after}


def scheduler_state(beat: SchedulerBeat | None, now: datetime, stale_after: int) -> SchedulerState:
    """Pure: stale when the last tick is older than `stale_after` seconds, never without one."""
    if beat is None:
        return SchedulerState("never", None, None, "", stale_after)
    age = max(0, int((now - beat.beat_at).total_seconds()))
    status = "stale" if now - beat.beat_at > timedelta(seconds=stale_after) else "ok"
    return SchedulerState(status, beat.beat_at, age, beat.redis, stale_after)


def read_scheduler_state(session: Session, now: datetime) -> SchedulerState:
    return scheduler_state(session.get(SchedulerBeat, SCHEDULER), now,
                           get_settings().scheduler_stale_seconds)


def redis_state(url: str | None = None) -> dict[str, Any]:
    """Redis and worker health for /healthz."""
    from rq import Queue, Worker

    from portal.jobs import redis_connection

    try:
        conn = redis_connection(url)
        conn.ping()
        workers = Worker.all(connection=conn)
        return {
            "redis": "ok",
            "workers": len(workers),
            "queued": {name: Queue(name, connection=conn).count for name in get_settings().queues},
        }
    except RedisError as exc:
        return {"redis": "unavailable", "error": type(exc).__name__, "workers": 0}
