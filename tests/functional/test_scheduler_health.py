"""/healthz, /healthz/scheduler and the operations page report a scheduler (`portal cron`) that
stopped ticking — from its last tick in the database, so also while Redis is down."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.accounts.rules.roles import Role
from portal.core.db import utcnow
from portal.core.health import record_beat
from portal.core.settings import get_settings

from factories import PASSWORD, user
from support import login

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def beat_ago(db, seconds: int, redis_error: str = "") -> None:
    record_beat(db, utcnow() - timedelta(seconds=seconds), redis_error)
    db.commit()


def test_a_scheduler_that_never_ticked_is_reported(client):
    body = client.get("/healthz").json()
    assert body["database"] == "ok" and body["scheduler"]["status"] == "never"
    response = client.get("/healthz/scheduler")
    assert response.status_code == 503 and response.json()["status"] == "never"


def test_a_ticking_scheduler_is_ok_and_a_silent_one_stale(client, db):
    beat_ago(db, 5)
    assert client.get("/healthz").json()["scheduler"]["status"] == "ok"
    response = client.get("/healthz/scheduler")
    assert response.status_code == 200 and response.json()["status"] == "ok"

    beat_ago(db, get_settings().scheduler_stale_seconds + 5)
    response = client.get("/healthz")
    # The web itself is fine: a load balancer keeps it; the body tells the scheduler is stale.
    assert response.status_code == 200
    assert response.json()["scheduler"]["status"] == "stale"
    assert response.json()["scheduler"]["age_seconds"] >= get_settings().scheduler_stale_seconds
    response = client.get("/healthz/scheduler")
    assert response.status_code == 503 and response.json()["status"] == "stale"


def test_a_scheduler_waiting_for_redis_is_alive_and_says_so(client, db):
    beat_ago(db, 1, "ConnectionError: Error 111 connecting to 127.0.0.1:6379")
    body = client.get("/healthz/scheduler").json()
    assert (body["status"], body["redis"]) == ("ok", "unavailable")


def test_healthz_scheduler_answers_any_host_like_healthz(client):
    response = client.get("/healthz/scheduler", headers={"host": "lb-probe.internal"})
    assert response.status_code == 503  # never ticked; not 400 for the unknown host


@sqlite_only
def test_the_ops_page_shows_a_stale_scheduler_even_with_redis_down(client, db, redis_server):
    admin = user(db, Role.ADMIN)
    db.commit()
    login(client, admin.username, PASSWORD)
    beat_ago(db, 5)
    page = client.get("/admin/ops/")
    assert "运行中" in page.text and "已停止响应" not in page.text

    beat_ago(db, get_settings().scheduler_stale_seconds + 60)
    redis_server.stop()
    try:
        page = client.get("/admin/ops/")
    finally:
        redis_server.start()
    assert page.status_code == 200 and "Redis 不可用" in page.text
    assert "已停止响应" in page.text and "请检查并重启" in page.text
