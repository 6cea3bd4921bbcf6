"""Fixed-window rate limits in Redis, and per-process windows while Redis is unreachable.

Redis counts the hits of every web process together. When it cannot be reached the limits do
not fail open: each process counts in its own small, bounded table (`LocalWindows`), so a
limit still holds per process (with N web processes an address gets at most N times the limit
during the outage). The outage is logged once, when it starts, and once when Redis is back;
for `RETRY_SECONDS` after a failure Redis is not asked again, so a Redis that hangs does not
slow every request by its connect timeout. What protects each limit during an outage is
listed in the README ("Rate limits while Redis is down").
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from redis.exceptions import RedisError
from starlette.requests import Request

from portal.core.jobs import redis_connection

log = logging.getLogger(__name__)

LOCAL_MAX_KEYS = 10_000  # counters kept per process during an outage (≈ 1 MB at most)
RETRY_SECONDS = 5  # after a Redis error, count locally this long before asking Redis again


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class LocalWindows:
    """Per-process fixed-window counters: name → (count, expires at). Bounded: when full, the
    counters of past windows go first, then the oldest."""

    def __init__(self, max_keys: int = LOCAL_MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._counts: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._counts)

    def add(self, name: str, amount: int, expires_at: float, now: float) -> int:
        with self._lock:
            count, _ = self._live(name, now)
            count = max(0, count + amount)
            if name not in self._counts and len(self._counts) >= self.max_keys:
                self._make_room(now)
            self._counts[name] = (count, expires_at)
            return count

    def get(self, name: str, now: float) -> int:
        with self._lock:
            return self._live(name, now)[0]

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()

    def _live(self, name: str, now: float) -> tuple[int, float]:
        found = self._counts.get(name)
        if found is None or found[1] <= now:
            return 0, now
        return found

    def _make_room(self, now: float) -> None:
        for key in [k for k, (_, expires) in self._counts.items() if expires <= now]:
            del self._counts[key]
        while len(self._counts) >= self.max_keys:
            self._counts.popitem(last=False)


class _Outage:
    """Whether Redis is taken to be down; logs the start and the end of an outage once each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.since: float | None = None
        self.retry_at = 0.0

    def skip_redis(self, now: float) -> bool:
        return self.since is not None and now < self.retry_at

    def failed(self, bucket: str, exc: Exception, now: float) -> None:
        with self._lock:
            self.retry_at = now + RETRY_SECONDS
            if self.since is not None:
                return
            self.since = now
        log.warning("Redis unreachable (%s: %s), first noticed by rate limit %s: rate limits "
                    "are counted per process until it is back", type(exc).__name__, exc, bucket)

    def recovered(self, now: float) -> None:
        if self.since is None:
            return
        with self._lock:
            since, self.since = self.since, None
        if since is not None:
            log.warning("Redis reachable again after %.0f s: rate limits are shared again",
                        now - since)


local = LocalWindows()
outage = _Outage()


def _name(bucket: str, key: str, window_seconds: int, now: float) -> tuple[str, float]:
    slot = int(now // window_seconds)
    return f"rl:{bucket}:{key}:{slot}", (slot + 1) * window_seconds


def _count(bucket: str, key: str, window_seconds: int, amount: int) -> int:
    now = time.time()
    name, window_end = _name(bucket, key, window_seconds, now)
    if not outage.skip_redis(now):
        try:
            conn = redis_connection()
            pipe = conn.pipeline()
            pipe.incrby(name, amount)
            pipe.expire(name, window_seconds + 5)
            count, _ = pipe.execute()
        except RedisError as exc:
            outage.failed(bucket, exc, now)
        else:
            outage.recovered(now)
            return int(count)
    return local.add(name, amount, window_end, now)


def allow(bucket: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit (atomically, before the work it limits); False once `limit` hits fell in
    the current window."""
    return _count(bucket, key, window_seconds, 1) <= limit


def refund(bucket: str, key: str, window_seconds: int) -> None:
    """Take back one hit counted by `allow` (a successful login does not count)."""
    _count(bucket, key, window_seconds, -1)

