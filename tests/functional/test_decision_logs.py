"""The decisions of routing, the clock, the outbox and the scheduler are logged, and no log line
of filing, routing, notifying or a failing job carries the complainant's name, phone or e-mail
(the `client` and `db` fixtures run on SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import os
import re

import pytest
from sqlalchemy import select

from complaints.models import Complaint
from portal.core.jobs import MAX_ATTEMPTS, OutboxJob, redis_connection, run_outbox_job, sweep_outbox
from portal.core.notify import queue_notification
from portal.core.scheduler import ResilientCron
from portal.core.settings import get_settings, reset_settings

from factories import department, district, institution
from servers import free_port
from support import csrf_token

PHONE = "13812345678"
# Any way a mainland mobile number could be written, and the name of the complainant.
# A phone number standing alone: not digits inside a job's UUID ("…-b130-67837792a432" once
# matched the bare pattern).
PERSONAL = re.compile(
    r"(?<![0-9A-Za-z])1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}(?![0-9A-Za-z])|张三丰|family@example\.org")


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records]


def assert_no_personal_data(caplog: pytest.LogCaptureFixture) -> None:
    leaked = [line for line in messages(caplog) if PERSONAL.search(line)]
    assert leaked == []


def test_filing_a_complaint_logs_its_routing_clock_and_job_but_not_the_complainant(
        client, db, caplog):
    d = district(db, name="东城区")
    fire = department(db, "fire_rescue")
    department(db, "civil_affairs")
    civil = department(db, "civil_affairs", d)
    inst = institution(db, district_=d, name="东城幸福颐养院")
    db.commit()
    caplog.set_level(logging.DEBUG)
    response = client.post("/complaints/new", data={
        "csrf_token": csrf_token(client, "/complaints/new"), "action": "submit",
        "institution_id": str(inst.id), "category": "fire_safety",
        "description": "走廊堆满杂物，消防通道被堵住了", "complainant_name": "张三丰",
        "complainant_phone": "138 1234 5678"}, follow_redirects=False)
    assert response.status_code == 303
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.complainant_phone == PHONE  # stored in full, logged nowhere
    job = db.scalars(select(OutboxJob)).one()
    assert run_outbox_job(job.id) == "done"  # the acknowledgement SMS (the `log` sender)

    lines = messages(caplog)
    assert (f"complaints.rules.routing INFO routing: rule fire_safety -> fire_rescue office {fire.id} "
            f"(no office in district {d.id}, the city's); co-handling offices [{civil.id}]; "
            f"supervising office {civil.id}") in lines
    # The day it was received in the city (the clock's), not in UTC: the two differ from 16:00
    # UTC on, when this test used to fail.
    received = complaint.received_at.astimezone(get_settings().timezone).date()
    assert any(line.startswith(f"complaints.rules.clock DEBUG clock: received {received}, ")
               for line in lines)
    assert ("portal.core.jobs DEBUG outbox: portal.core.notify:send_notification recorded (queue default);"
            " pushed after the commit") in lines
    assert f"portal.core.jobs DEBUG outbox job {job.id} (portal.core.notify:send_notification): done at " \
           "attempt 1" in lines
    assert_no_personal_data(caplog)


def test_a_failing_job_logs_each_retry_the_sweep_and_giving_up(db, env, caplog):
    os.environ["PORTAL_NOTIFICATION_SENDER"] = f"smtp:127.0.0.1:{free_port()}"  # refused
    reset_settings()
    try:
        queue_notification(db, "email", "family@example.org", "开放日报名成功",
                           f"张三丰您好，回电 {PHONE}")
        db.commit()
        job = db.scalars(select(OutboxJob)).one()
        caplog.set_level(logging.DEBUG, logger="portal.core.jobs")
        with pytest.raises(ConnectionRefusedError):
            run_outbox_job(job.id)
        assert sweep_outbox() == 1
        db.execute(OutboxJob.__table__.update().where(OutboxJob.id == job.id)
                   .values(attempts=MAX_ATTEMPTS - 1, status="pending"))
        db.commit()
        with pytest.raises(ConnectionRefusedError):
            run_outbox_job(job.id)
    finally:
        os.environ.pop("PORTAL_NOTIFICATION_SENDER", None)
        reset_settings()
    records = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    func = "portal.core.notify:send_notification"
    assert [level for level, _ in records] == ["WARNING", "INFO", "INFO", "ERROR"]
    assert records[0][1].startswith(f"outbox job {job.id} ({func}): attempt 1 of {MAX_ATTEMPTS} "
                                    "failed, left for the sweeper to retry: "
                                    "ConnectionRefusedError")
    assert records[1][1] == (f"outbox sweeper: job(s) [{job.id}] left behind (0 running past "
                             "their lease given back); pushing them again")
    assert records[2][1] == f"outbox: job(s) [{job.id}] enqueued again"
    assert records[3][1].startswith(f"outbox job {job.id} ({func}): given up after "
                                    f"{MAX_ATTEMPTS} attempts: ConnectionRefusedError")
    assert_no_personal_data(caplog)


def test_a_failure_s_text_is_scrubbed_of_personal_data_before_it_is_logged(caplog):
    from portal.core.jobs import _log_failure

    caplog.set_level(logging.WARNING, logger="portal.core.jobs")
    _log_failure(7, "portal.core.notify:send_notification", 1,
                 ValueError(f"no route to {PHONE} (张三丰)"))
    assert caplog.records[0].getMessage().startswith(
        "outbox job 7 (portal.core.notify:send_notification): attempt 1 of 5 failed, left for the "
        "sweeper to retry: ValueError: no route to 138****5678")
    assert PHONE not in caplog.text


def test_the_scheduler_logs_each_job_it_enqueues(env, caplog):
    scheduler = ResilientCron(redis_connection(), env)
    scheduler.register(sweep_outbox, "default", interval=60)
    caplog.set_level(logging.INFO, logger="portal.core.scheduler")
    scheduler._tick()
    scheduler._tick()  # not due again for 60 s: nothing more logged
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert re.fullmatch(r"scheduler: portal\.core\.jobs\.sweep_outbox due, enqueued on default; "
                        r"next at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*", lines[0])
