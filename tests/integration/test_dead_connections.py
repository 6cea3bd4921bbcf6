"""Pooled PostgreSQL connections that died while idle (a restart, a terminated backend): the
first statement finds out, and the request or job is run once more on a new connection
(portal.db: first_statement_lost), instead of a `SELECT 1` before every request."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from complaints.models import Complaint
from portal.accounts.roles import Role
from portal.db import first_statement_lost, session_factory
from portal.jobs import OutboxJob, run_outbox_job
from portal.notify import Notification, queue_notification

from factories import PASSWORD, department, district, institution, user
from support import csrf_token

# PostgreSQL's backends are what dies here.
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture
def pg(env: str) -> str:
    return env


def kill_backends(url: str) -> int:
    """Terminate every other backend of this database, as a restart would; how many."""
    admin = create_engine(url, poolclass=NullPool)
    try:
        with admin.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()")).all())
    finally:
        admin.dispose()


def test_pages_and_forms_on_dead_pooled_connections_are_served(pg, client, db):
    inst = institution(db, name="北山夕阳红养老院")
    account = user(db, Role.ADMIN, username="root-dead-conn")
    db.commit()
    token = csrf_token(client, "/accounts/login")
    assert client.get(f"/institutions/{inst.id}").status_code == 200
    assert kill_backends(pg) >= 1
    assert client.get(f"/institutions/{inst.id}").status_code == 200
    assert kill_backends(pg) >= 1
    signed_in = client.post("/accounts/login", follow_redirects=False, data={
        "username": account.username, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 303, signed_in.text[:300]
    assert kill_backends(pg) >= 1
    assert client.get("/accounts/me").status_code == 200


def test_a_complaint_filed_on_a_dead_connection_is_stored_once(pg, client, db):
    d = district(db, name="南湖区")
    department(db, "civil_affairs")
    office = department(db, "market_regulation", d)
    inst = institution(db, district_=d, name="南湖颐养院")
    db.commit()
    token = csrf_token(client, "/complaints/new")
    assert kill_backends(pg) >= 1
    response = client.post("/complaints/new", follow_redirects=False, data={
        "csrf_token": token, "action": "submit", "category": "food_safety",
        "institution_id": str(inst.id), "description": "午饭的肉有异味，好几位老人腹泻",
        "complainant_name": "王先生", "complainant_phone": "13600001234"})
    assert response.status_code == 303, response.text[:500]
    db.expire_all()
    (complaint,) = db.scalars(select(Complaint)).all()
    assert complaint.responsible_department_id == office.id and complaint.due_at is not None


def test_only_the_first_statement_on_a_connection_counts(pg, db):
    maker = session_factory(pg)
    with maker() as session:
        session.execute(text("SELECT 1"))
        kill_backends(pg)
        with pytest.raises(DBAPIError) as later:
            session.execute(text("SELECT 1"))
    assert later.value.connection_invalidated and not first_statement_lost(later.value)
    with maker() as session:
        session.execute(text("SELECT 1"))
        session.commit()  # its connection goes back to the pool, alive
    kill_backends(pg)
    with maker() as session, pytest.raises(DBAPIError) as first:
        session.execute(text("SELECT 1"))
    assert first_statement_lost(first.value)


def test_a_job_on_a_dead_pooled_connection_runs_once(pg, db):
    note = queue_notification(db, "sms", "13812345678", "开放日报名成功", "您已报名")
    db.commit()
    job_id = db.scalars(select(OutboxJob.id)).one()
    db.commit()
    assert kill_backends(pg) >= 1
    assert run_outbox_job(job_id) == "done"
    with session_factory(pg)() as check:
        job = check.get(OutboxJob, job_id)
        assert (job.status, job.attempts) == ("done", 1)
        assert check.get(Notification, note.id).status == "sent"
