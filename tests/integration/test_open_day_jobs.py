"""Open-day jobs with a real Redis and a real RQ worker: confirmation delivered, reminder skipped
for a cancelled sign-up, the periodic sweeps safe to repeat."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select, update

from portal.core.db import utcnow
from portal.core.jobs import OutboxJob
from portal.core.notify import Notification
from portal.opendays import tasks
from portal.opendays.models import OpenDay, Signup
from portal.opendays.services.events import OpenDayService, SignupInput

from factories import institution
from factories.opendays import confirmed_signup

SECRET = "test-secret-" + "x" * 40


def run_worker() -> None:
    """One real worker process that exits when the queues are empty."""
    result = subprocess.run(
        [sys.executable, "-m", "portal.cli", "worker", "--burst"],
        env=os.environ.copy(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def open_day(db, starts_in: timedelta = timedelta(days=3)) -> OpenDay:
    now = utcnow()
    row = OpenDay(
        institution_id=institution(db).id, title="开放日", starts_at=now + starts_in,
        ends_at=now + starts_in + timedelta(hours=2), signup_deadline=now + timedelta(hours=1),
        place="大厅", capacity=5, seats_taken=0, status="scheduled",
    )
    db.add(row)
    db.commit()
    return row


def test_worker_delivers_the_sign_up_confirmation(db):
    row = open_day(db)
    signup = confirmed_signup(OpenDayService(db, SECRET), row.id,
                              SignupInput("王五", "13812345678", "新闻媒体", "1"))
    db.commit()
    run_worker()
    db.expire_all()
    notes = db.scalars(select(Notification).order_by(Notification.id)).all()
    assert [n.subject for n in notes] == ["开放日报名验证码", "开放日报名成功：开放日"]
    assert {(n.recipient, n.status) for n in notes} == {("13812345678", "sent")}
    reminder = db.scalars(
        select(OutboxJob).where(OutboxJob.dedupe_key == f"openday-reminder:{signup.id}")
    ).one()
    assert reminder.status == "pending"  # scheduled for the day before, not run yet


def test_reminder_skips_a_cancelled_sign_up(db):
    row = open_day(db)
    service = OpenDayService(db, SECRET)
    keep = confirmed_signup(service, row.id, SignupInput("赵六", "13812340001", "公众", "1"))
    gone = confirmed_signup(service, row.id, SignupInput("钱七", "13812340002", "公众", "1"))
    db.commit()
    service.cancel(service.cancel_tokens.dumps(str(gone.id)), now=utcnow())
    db.commit()
    before = db.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1))
    tasks.send_reminder(keep.id)
    tasks.send_reminder(gone.id)
    db.expire_all()
    sent = db.scalars(select(Notification).where(Notification.id > before)).all()
    assert [n.recipient for n in sent] == ["13812340001"] and "提醒" in sent[0].subject


def test_periodic_sweeps_close_mark_held_and_flag(db):
    row = open_day(db)
    service = OpenDayService(db, SECRET)
    signup = confirmed_signup(service, row.id, SignupInput("孙八", "13812340003", "人大代表", "1"))
    # A sign-up never confirmed: its hold lapsed; the five-minute sweep gives the seat back.
    lapsed = service.sign_up(row.id, SignupInput("周九", "13812340004", "公众", "1"),
                             now=utcnow() - timedelta(hours=1))
    db.commit()
    assert db.get(OpenDay, row.id).seats_taken == 2
    past = utcnow() - timedelta(minutes=5)
    db.execute(update(OpenDay).where(OpenDay.id == row.id).values(signup_deadline=past))
    db.commit()
    assert tasks.close_signups_due() == 1 and tasks.close_signups_due() == 0
    db.execute(update(OpenDay).where(OpenDay.id == row.id).values(
        starts_at=past - timedelta(hours=2), ends_at=past,
        signup_deadline=past - timedelta(days=1)))
    db.commit()
    assert tasks.mark_held() == [row.id] and tasks.mark_held() == []
    db.expire_all()
    assert db.get(OpenDay, row.id).status == "held"
    assert db.get(Signup, signup.id).status == "confirmed"
    assert db.get(Signup, lapsed.id).status == "cancelled"
    assert db.get(OpenDay, row.id).seats_taken == 1
    # Only the confirmed attendee is asked for feedback.
    asks = db.scalars(select(Notification.recipient).where(Notification.subject.like("请评价%")))
    assert list(asks) == ["13812340003"]
    assert row.institution_id not in tasks.flag_institutions_without_open_day(180)


def test_reminders_recorded_before_the_move_still_find_their_task():
    from portal.core.jobs import resolve_task, task_path

    old = resolve_task("portal.opendays.tasks:send_reminder")
    assert old is tasks.send_reminder
    assert resolve_task(task_path(tasks.send_reminder)) is old
