"""A stopping worker does not wait a minute for RQ's pub/sub thread.

redis-py 8.2.0 joins that thread without a time limit while it waits up to 60 s for a
subscription, so every stop of a worker — SIGTERM, the end of a `--burst` run — took up to a
minute (tests timed out, `portal dev` and systemd restarts waited). pyproject keeps redis-py below
8.2; this test fails if an upgrade brings the wait back."""

from __future__ import annotations

import time

import pytest
from rq import Queue, SimpleWorker

from portal.core.jobs import redis_connection


def _stop_after_unsubscription_confirmed(worker_class) -> float:
    conn = redis_connection()
    worker = worker_class([Queue("default", connection=conn)], connection=conn)
    worker.subscribe()
    pubsub = worker.pubsub
    deadline = time.monotonic() + 30
    while not pubsub.subscribed_event.is_set():  # the thread saw the subscription
        assert time.monotonic() < deadline
        time.sleep(0.01)
    pubsub.unsubscribe()
    while pubsub.subscribed:  # … and its confirmed end: it now waits for a new one
        assert time.monotonic() < deadline
        time.sleep(0.01)
    started = time.monotonic()
    worker.unsubscribe()
    return time.monotonic() - started


# No database involved: SQLite is enough.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_stopping_worker_does_not_wait_for_its_pubsub_thread(env):
    # With redis-py 8.2.0 this waited out the thread's 60 s; with 8.1 it takes milliseconds.
    assert _stop_after_unsubscription_confirmed(SimpleWorker) < 30
