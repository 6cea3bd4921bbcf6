"""Fixed-window rate limits in Redis; fail open so a Redis outage never blocks a complaint."""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError
from starlette.requests import Request

from portal.jobs import redis_connection

log = logging.getLogger(__name__)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def allow(bucket: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit; False once `limit` hits fell in the current window."""
    slot = int(time.time() // window_seconds)
    name = f"rl:{bucket}:{key}:{slot}"
    try:
        conn = redis_connection()
        pipe = conn.pipeline()
        pipe.incr(name)
        pipe.expire(name, window_seconds + 5)
        count, _ = pipe.execute()
    except RedisError as exc:
        log.warning("rate limit %s not enforced, Redis unavailable: %s", bucket, exc)
        return True
    return int(count) <= limit


def exhausted(bucket: str, key: str, limit: int, window_seconds: int) -> bool:
    """True once `limit` hits were counted (by `allow`) in the current window; counts nothing."""
    slot = int(time.time() // window_seconds)
    try:
        count = redis_connection().get(f"rl:{bucket}:{key}:{slot}")
    except RedisError as exc:
        log.warning("rate limit %s not checked, Redis unavailable: %s", bucket, exc)
        return False
    return count is not None and int(count) >= limit
