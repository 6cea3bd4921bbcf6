"""Issue 18's fault test, on the real stack (uvicorn, an RQ worker, `portal cron`, Redis): Redis
stops while complaints are filed and recurring jobs fall due; once it is back every
acknowledgement goes out, each once, and the scheduler is alive — with no other request.

The outbox sweeper runs every PORTAL_OUTBOX_SWEEP_SECONDS=1 here and the outage lasts OUTAGE
seconds (4 sweeps; PORTAL_TEST_OUTAGE_SECONDS=120 runs the issue's 2 minutes, as
`bench/redis_outage.sh` does), so the sweep falls due four times during the outage, as the
20-second sweep does in 80 s of production; that is what killed `rq cron` (a ConnectionError
out of its loop). (It was 20 s with a 5-s sweep: the same four due sweeps, and the scheduler's
backoff then slept 11 s more after Redis returned.) Waits are polls with generous deadlines,
never fixed sleeps that assume a fast machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request

import pytest
from sqlalchemy import func, select
from test_restart_under_load import api_key, post_complaint, wait_for

from complaints.models import Complaint
from portal.core.db import session_scope, utcnow
from portal.core.health import SCHEDULER, SchedulerBeat
from portal.core.notify import Notification

from consistency import seed_city
from servers import RedisServer, portal_env, start_portal

SECRET = "outage-" + "o" * 40
SWEEP = 1
DUE_SWEEPS = 4
OUTAGE = int(os.environ.get("PORTAL_TEST_OUTAGE_SECONDS", str(DUE_SWEEPS * SWEEP)))


def sent(url: str) -> tuple[int, int]:
    """(notifications sent, notifications in all)."""
    with session_scope(url) as db:
        total = db.scalar(select(func.count()).select_from(Notification))
        done = db.scalar(select(func.count()).select_from(Notification)
                         .where(Notification.status == "sent"))
        return done, total


def beat(url: str) -> SchedulerBeat | None:
    with session_scope(url) as db:
        row = db.get(SchedulerBeat, SCHEDULER)
        if row is not None:
            db.expunge(row)
        return row


def health(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:  # noqa: S310
        return json.load(response)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_redis_down_while_complaints_come_in_and_cron_jobs_fall_due(env, tmp_path):
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    proc_env = portal_env(env, redis.url, SECRET, tmp_path / "stack") | {
        "PORTAL_OUTBOX_SWEEP_SECONDS": str(SWEEP)}
    inst_id = seed_city(env)
    key = api_key(env)
    web, base = start_portal(proc_env)
    worker_log, cron_log = tmp_path / "worker.log", tmp_path / "cron.log"
    worker, _ = start_portal(proc_env, "worker", log=worker_log)
    cron, _ = start_portal(proc_env, "cron", log=cron_log)
    before, during = 5, 10
    try:
        for n in range(before):
            assert post_complaint(base, key, inst_id, n) == 201
        wait_for(lambda: sent(env) == (before, before), 90, "the first acknowledgements")
        wait_for(lambda: (b := beat(env)) is not None and b.redis == "ok", 60, "a first tick")

        redis.stop()
        stopped = time.monotonic()
        for n in range(before, before + during):
            assert post_complaint(base, key, inst_id, n) == 201  # the web does not need Redis
        while time.monotonic() - stopped < OUTAGE:  # the sweeps fall due meanwhile
            assert cron.poll() is None, cron_log.read_text()[-3000:]
            time.sleep(1)
        # The scheduler kept ticking, and says it cannot reach Redis.
        wait_for(lambda: beat(env).redis == "unavailable", 60, "a tick seeing Redis down")
        assert health(base)["scheduler"]["status"] == "ok"
        assert sent(env) == (before, before + during)

        redis.start()  # the same port; nothing was persisted: the outbox has the rest
        back = time.monotonic()
        restarts = []

        def all_sent() -> bool:
            """As production's supervisor does: RQ's worker quits when Redis goes away while it
            is between jobs (not waiting in its dequeue, where it retries), and systemd
            (deploy/systemd/portal-worker.service: Restart=always) or `portal dev` starts it
            again. Seen under two test processes, Redis stopped 10 ms after a batch ended."""
            nonlocal worker
            if worker.poll() is not None:
                restarts.append(worker.returncode)
                worker, _ = start_portal(proc_env, "worker", log=worker_log)
            return sent(env) == (before + during,) * 2

        # A bound for a hang, not a speed: usually 5-15 s, once over 120 s on this machine
        # (2026-12-07) while the RQ worker reconnected.
        wait_for(all_sent, 300, "every acknowledgement after Redis returned")
        if restarts:
            print(f"\n[fault] the worker quit with Redis (exit {restarts}) and was started again")
        caught_up = time.monotonic() - back
        print(f"\n[fault] Redis down {OUTAGE} s while {during} complaints were filed: all "
              f"{before + during} acknowledgements sent once, {caught_up:.1f} s after it returned")
        assert caught_up < 300
        assert cron.poll() is None, cron_log.read_text()[-3000:]
        returned = utcnow()
        wait_for(lambda: beat(env).redis == "ok" and beat(env).beat_at >= returned, 60,
                 "a tick after Redis returned")
        state = health(base)
        assert state["scheduler"]["status"] == "ok" and state["scheduler"]["redis"] == "ok"
    finally:
        for proc in (cron, worker, web):
            proc.terminate()
        for proc in (cron, worker, web):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        redis.stop()

    with session_scope(env) as db:
        assert db.scalar(select(func.count()).select_from(Complaint)) == before + during
        # One acknowledgement per complaint, each sent once: the log sender writes one line per
        # message sent.
        assert db.scalar(select(func.count()).select_from(Notification)) == before + during
    lines = [x for x in worker_log.read_text().splitlines() if "notification " in x and " to " in x]
    assert len(lines) == before + during, lines
    log = cron_log.read_text()
    assert "Redis unreachable" in log and "Redis reachable again" in log, log[-3000:]
