"""The outbox with a real Redis and real RQ workers (`portal worker --burst` subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from portal.accounts.rules.roles import Role
from portal.core.db import utcnow
from portal.core.jobs import OutboxJob, dispatch, sweep_outbox
from portal.core.notify import Notification, queue_notification

from factories import PASSWORD, user
from support import csrf_token, login


def run_worker() -> None:
    """One real worker process that exits when the queues are empty."""
    result = subprocess.run(
        [sys.executable, "-m", "portal.cli", "worker", "--burst"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_job_dispatched_twice_runs_once(db):
    note = queue_notification(db, "sms", "13812345678", "开放日报名成功", "您已报名")
    db.commit()  # after-commit dispatch enqueues it once
    job = db.scalars(select(OutboxJob)).one()
    assert job.enqueued_at is not None or dispatch([job.id]) == 1
    assert dispatch([job.id]) == 1  # a second push of the same job
    run_worker()
    db.expire_all()
    job = db.get(OutboxJob, job.id)
    assert job.status == "done"
    assert job.attempts == 1
    sent = db.get(Notification, note.id)
    assert sent.status == "sent" and note.created_at <= sent.sent_at <= utcnow()


def test_with_redis_down_the_request_succeeds_and_the_job_runs_later(client, db, redis_server):
    admin = user(db, Role.ADMIN, username="root-outage")
    db.commit()
    login(client, admin.username, PASSWORD)
    token = csrf_token(client)
    redis_server.stop()
    try:
        response = client.post(
            "/admin/users",
            data={
                "csrf_token": token,
                "username": "new-dept",
                "display_name": "新经办人",
                "email": "new-dept@example.org",
                "password": "Strong-pass-99",
                "role": "operator",
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        job = db.scalars(select(OutboxJob)).one()
        assert job.status == "pending" and job.enqueued_at is None
    finally:
        redis_server.start()
    assert sweep_outbox() == 1
    run_worker()  # runs send_welcome, which queues the e-mail notification …
    run_worker()  # … whose own job the same outbox delivers
    db.expire_all()
    statuses = {row.func: row.status for row in db.scalars(select(OutboxJob))}
    assert statuses == {
        "portal.accounts.tasks:send_welcome": "done",
        "portal.core.notify:send_notification": "done",
    }
    mail = db.scalars(select(Notification)).one()
    assert mail.recipient == "new-dept@example.org" and mail.status == "sent"


def test_sweeper_leaves_fresh_and_finished_jobs_alone(db):
    queue_notification(db, "sms", "13812345678", "提醒", "明天开放日")
    db.commit()
    run_worker()
    assert sweep_outbox() == 0


def test_recurring_jobs_are_registered_for_rq_cron():
    from rq import cron

    import portal.cron

    assert any(func is sweep_outbox for func, _, _ in portal.cron.RECURRING)
    assert cron  # rq.cron is importable: `rq cron portal.cron` loads the module above


def test_an_sms_job_costs_the_worker_two_transactions_and_runs_once(db):
    """Claim, then send + mark sent + mark done together (it took three transactions)."""
    from sqlalchemy import event

    from portal.core.db import get_engine
    from portal.core.jobs import run_outbox_job
    from portal.core.settings import get_settings

    note = queue_notification(db, "sms", "13812345678", "投诉已受理", "您的投诉已受理")
    db.commit()
    job = db.scalars(select(OutboxJob)).one()
    commits = []

    def count(conn) -> None:
        commits.append(conn)

    engine = get_engine(get_settings().database_url)
    event.listen(engine, "commit", count)
    try:
        assert run_outbox_job(job.id) == "done"
        assert len(commits) == 2
        assert run_outbox_job(job.id) == "skipped"  # pushed twice: runs once
    finally:
        event.remove(engine, "commit", count)
    db.expire_all()
    assert db.get(OutboxJob, job.id).status == "done"
    assert db.get(Notification, note.id).status == "sent"


def test_a_burst_of_sms_wakes_one_batch_job_and_each_is_sent_once(db, redis_server):
    """One RQ job for a burst of notifications instead of one each; every row claimed once."""
    from rq import Queue

    from portal.core.jobs import redis_connection

    notes = []
    for n in range(120):  # one commit each, as 120 complaints would
        notes.append(queue_notification(db, "sms", f"138{n:08d}", "投诉已受理", "您的投诉已受理"))
        db.commit()
    queue = Queue("default", connection=redis_connection())
    assert [job.func_name for job in queue.jobs] == ["portal.core.jobs.run_batch"]
    run_worker()
    db.expire_all()
    rows = db.scalars(select(OutboxJob)).all()
    assert len(rows) == 120 and {(r.status, r.attempts) for r in rows} == {("done", 1)}
    assert {db.get(Notification, n.id).status for n in notes} == {"sent"}
    assert queue.count == 0


def test_a_failing_row_in_a_batch_is_kept_with_its_reason_and_the_others_go_on(db, env):
    from portal.core.jobs import BatchFailures, run_batch, task_path
    from portal.core.notify import send_notification
    from portal.core.settings import reset_settings

    sms = [queue_notification(db, "sms", "13812345678", "提醒", "明天开放日") for _ in range(3)]
    mail = queue_notification(db, "email", "family@example.org", "提醒", "明天开放日")
    db.commit()
    os.environ["PORTAL_NOTIFICATION_SENDER"] = "smtp:127.0.0.1:9"  # nothing listens: mail fails
    reset_settings()
    try:
        with pytest.raises(BatchFailures, match="1 of 4 failed.*ConnectionRefusedError"):
            run_batch(task_path(send_notification))
    finally:
        os.environ.pop("PORTAL_NOTIFICATION_SENDER")
        reset_settings()
    db.expire_all()
    by_note = {row.args[0]: row for row in db.scalars(select(OutboxJob))}
    assert {by_note[n.id].status for n in sms} == {"done"}
    failed = by_note[mail.id]
    assert (failed.status, failed.attempts, failed.enqueued_at) == ("pending", 1, None)
    assert failed.last_error.startswith("ConnectionRefusedError")
    assert db.get(Notification, mail.id).status == "queued"
    assert sweep_outbox() == 1  # given back at once, as a failed single job is


def test_two_batches_at_once_claim_different_rows(db, database_url):
    """PostgreSQL: a second claimer skips the rows the first holds (SKIP LOCKED) instead of
    waiting; on SQLite writers take turns, so the second sees them claimed."""
    from portal.core.db import session_factory
    from portal.core.jobs import claim_batch, task_path
    from portal.core.notify import send_notification

    for _ in range(8):
        queue_notification(db, "sms", "13812345678", "提醒", "明天开放日")
    db.commit()
    func = task_path(send_notification)
    factory = session_factory(database_url)
    with factory() as first:
        mine = claim_batch(first, func, 5, utcnow())
        if database_url.startswith("postgresql"):
            with factory() as second:
                theirs = claim_batch(second, func, 5, utcnow())
                second.commit()
            assert len(mine) == 5 and len(theirs) == 3
            assert not {r[0] for r in mine} & {r[0] for r in theirs}
        first.commit()
    with factory() as later:
        rest = claim_batch(later, func, 5, utcnow())
    assert len(rest) == (0 if database_url.startswith("postgresql") else 3)
