"""Rate limits while Redis is down: each process counts on its own instead of letting every
request through (filings, tracking guesses, logins), and the outage is logged once.

Redis here is an address that refuses connections. Nothing here depends on the database
engine: SQLite only."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from complaints.views import public as views_public
from complaints.views import tracking as views_tracking
from portal.accounts import views as account_views
from portal.core import ratelimit

from consistency import seed_city
from support import csrf_token
from support import post_form as post

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def refusing_redis_url() -> str:
    """A local port nobody listens on (bound, then closed): connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def forget_rate_limits() -> None:
    ratelimit.local.clear()
    ratelimit.outage = ratelimit._Outage()


@pytest.fixture
def redis_down(env, monkeypatch) -> Iterator[str]:
    from portal.core.settings import reset_settings

    forget_rate_limits()
    monkeypatch.setenv("PORTAL_REDIS_URL", refusing_redis_url())
    reset_settings()
    yield env
    forget_rate_limits()  # later tests must not start inside this outage


@pytest.fixture
def client_without_redis(redis_down) -> Iterator[TestClient]:
    from portal.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client


def outage_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "portal.core.ratelimit" and "Redis unreachable" in r.getMessage()]


@sqlite_only
def test_filings_tracking_and_logins_stay_limited_and_the_outage_is_logged_once(
        client_without_redis, redis_down, monkeypatch, caplog):
    client = client_without_redis
    caplog.set_level(logging.WARNING, logger="portal.core.ratelimit")
    monkeypatch.setattr(views_public, "PUBLIC_FILINGS_PER_HOUR", 2)
    monkeypatch.setattr(views_tracking, "TRACK_LOOKUPS_PER_HOUR", 3)
    monkeypatch.setattr(account_views, "FAILED_LOGINS_PER_IP", 2)
    inst_id = seed_city(redis_down)

    filings = [post(client, "/complaints/new", action="submit", institution_id=str(inst_id),
                    category="service_quality", description=f"第 {n} 次反映：夜间无人值守",
                    form_nonce=f"nonce-{n:02d}-abcdefghijkl").status_code for n in range(3)]
    assert filings == [303, 303, 429]

    guesses = [post(client, "/complaints/track", tracking_no="YL20260000001",
                    secret=f"{n:04d}").status_code for n in range(4)]
    assert guesses == [400, 400, 400, 429]

    def login(name: str) -> int:
        token = csrf_token(client, "/accounts/login")
        return client.post("/accounts/login", data={"username": name, "password": "x",
                                                     "csrf_token": token}).status_code

    assert [login(f"guess{n}") for n in range(3)] == [400, 400, 429]

    # Another address has its own counts.
    with TestClient(client.app, client=("203.0.113.9", 50000)) as elsewhere:
        assert post(elsewhere, "/complaints/track", tracking_no="YL20260000001",
                    secret="0000").status_code == 400

    warnings = outage_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "per process" in warnings[0]


def test_the_recovery_is_logged_and_counting_goes_back_to_redis(monkeypatch, caplog):
    """Unit: a failure starts an outage; after RETRY_SECONDS a working Redis ends it."""
    caplog.set_level(logging.WARNING, logger="portal.core.ratelimit")
    forget_rate_limits()
    clock = [1000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])

    class Down:
        def pipeline(self):
            raise ratelimit.RedisError("Connection refused")

    class Pipe:
        def __init__(self, store):
            self.store, self.ops = store, []

        def incrby(self, name, amount):
            self.ops.append((name, amount))

        def expire(self, *_):
            pass

        def execute(self):
            name, amount = self.ops[0]
            self.store[name] = self.store.get(name, 0) + amount
            return [self.store[name], True]

    class Up:
        store: dict = {}

        def pipeline(self):
            return Pipe(self.store)

    server = [Down()]
    monkeypatch.setattr(ratelimit, "redis_connection", lambda: server[0])
    try:
        assert [ratelimit.allow("b", "k", 2, 60) for _ in range(3)] == [True, True, False]
        server[0] = Up()
        clock[0] += 1  # within RETRY_SECONDS Redis is not asked again
        assert ratelimit.allow("b", "k", 2, 60) is False
        assert Up.store == {}
        clock[0] += ratelimit.RETRY_SECONDS
        assert ratelimit.allow("b", "k", 2, 60) is True
        assert sum(Up.store.values()) == 1
        messages = [r.getMessage() for r in caplog.records if r.name == "portal.core.ratelimit"]
        assert len(messages) == 2
        assert "Redis unreachable" in messages[0] and "reachable again" in messages[1]
    finally:
        forget_rate_limits()


def test_local_windows_expire_and_stay_bounded():
    windows = ratelimit.LocalWindows(max_keys=3)
    assert windows.add("a", 1, expires_at=10, now=0) == 1
    assert windows.add("a", 1, expires_at=10, now=5) == 2
    assert windows.get("a", now=10) == 0  # the window is over
    assert windows.add("a", 1, expires_at=20, now=10) == 1
    assert windows.add("a", -5, expires_at=20, now=11) == 0  # never below zero
    for name in "bcdef":
        windows.add(name, 1, expires_at=100, now=12)
    assert len(windows) == 3
    assert windows.get("f", now=12) == 1 and windows.get("a", now=12) == 0
