"""The outbox with a real Redis and real RQ workers (`portal worker --burst` subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from portal.accounts.roles import Role
from portal.jobs import OutboxJob, dispatch, sweep_outbox
from portal.notify import Notification, queue_notification

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
    assert db.get(Notification, note.id).status == "sent"


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
        "portal.notify:send_notification": "done",
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

    from portal.db import get_engine
    from portal.jobs import run_outbox_job
    from portal.settings import get_settings

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
