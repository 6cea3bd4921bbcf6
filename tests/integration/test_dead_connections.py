"""Dead PostgreSQL connections (a restart, a terminated backend). One that died while idle in
the pool is replaced when it is checked out, by the pool's pre-ping (portal.core.db.make_engine), so
the next request or job is served. One lost while a request or job is using it fails that
request (a 500 page) or job (given back by the sweeper); neither is ever run a second time, as
its writes may have committed (issue 19: a reveal audited twice)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from complaints.models import Complaint
from complaints.rules.intake import ComplaintInput
from complaints.services.filing import build_services
from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent
from portal.core.db import get_engine, session_factory
from portal.core.jobs import OutboxJob, run_outbox_job, sweep_outbox
from portal.core.notify import Notification, queue_notification
from portal.core.settings import get_settings

from factories import PASSWORD, department, district, institution, user
from support import csrf_token, login
from support import post_form as post

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


def unmask_rows(url: str) -> int:
    """Unmask audit rows, counted on a connection of its own."""
    admin = create_engine(url, poolclass=NullPool)
    try:
        with admin.connect() as conn:
            return conn.execute(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action == "unmask")).scalar_one()
    finally:
        admin.dispose()


def complaint_and_supervisor(client, db) -> Complaint:
    """A complaint, and a supervisor (who may reveal its contact) signed in on `client`."""
    d = district(db, name="南湖区")
    department(db, "civil_affairs", d)
    inst = institution(db, district_=d, name="南湖康乐老年公寓")
    sup = user(db, Role.SUPERVISOR, department_id=department(db, "civil_affairs").id)
    db.commit()
    intake, _ = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="web", category_code="service_quality", description="护工推搡老人，老人身上有淤青",
        institution_id=inst.id, complainant_name="李四", complainant_phone="13712345678"))
    db.commit()
    login(client, sup.username, PASSWORD)
    return complaint


def reveal_killing(client, pg: str, complaint: Complaint, moment: str) -> tuple:
    """POST the reveal, terminating the backends once at `moment` ("before_commit" or
    "after_commit") of the transaction that holds its unmask audit row; (response, killed)."""
    maker, killed = session_factory(pg), []

    def kill(session):
        pending = [*session.new, *session.identity_map.values()]
        if not killed and any(isinstance(o, AuditEvent) and o.action == "unmask"
                              for o in pending):
            killed.append(kill_backends(pg))

    def note(session):  # after the commit `session.new` is empty: look before it
        pending = [*session.new, *session.identity_map.values()]
        session.info["unmasking"] = any(
            isinstance(o, AuditEvent) and o.action == "unmask" for o in pending)

    def kill_after(session):
        if session.info.pop("unmasking", False) and not killed:
            killed.append(kill_backends(pg))

    hooks = ([("before_commit", kill)] if moment == "before_commit"
             else [("before_commit", note), ("after_commit", kill_after)])
    for name, fn in hooks:
        event.listen(maker, name, fn)
    try:
        response = post(client, f"/staff/complaints/{complaint.id}/reveal")
    finally:
        for name, fn in hooks:
            event.remove(maker, name, fn)
    assert killed and killed[0] >= 1
    return response


def test_a_reveal_whose_connection_dies_after_its_commit_is_audited_once(pg, client, db):
    """The reveal commits its unmask audit row, then the backends die (a restart): the page is
    answered on a new connection, and the row is written once (the request used to be run a
    second time, writing two)."""
    complaint = complaint_and_supervisor(client, db)
    revealed = reveal_killing(client, pg, complaint, "after_commit")
    assert revealed.status_code == 200, revealed.text[:300]
    assert "13712345678" in revealed.text
    assert unmask_rows(pg) == 1


def test_a_reveal_whose_connection_dies_before_its_commit_fails_unaudited(pg, client, db):
    """Lost mid-request, before the commit: the request fails (500 page), shows no contact and
    leaves no audit row; the next reveal works."""
    complaint = complaint_and_supervisor(client, db)
    failed = reveal_killing(client, pg, complaint, "before_commit")
    assert failed.status_code == 500 and "13712345678" not in failed.text
    assert unmask_rows(pg) == 0
    again = post(client, f"/staff/complaints/{complaint.id}/reveal")
    assert again.status_code == 200 and "13712345678" in again.text
    assert unmask_rows(pg) == 1


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


def test_a_lost_connection_fails_its_session_and_a_dead_idle_one_is_replaced(pg, db):
    maker = session_factory(pg)
    with maker() as session:
        session.execute(text("SELECT 1"))
        kill_backends(pg)
        with pytest.raises(DBAPIError) as lost:
            session.execute(text("SELECT 1"))
    assert lost.value.connection_invalidated
    with maker() as session:
        session.execute(text("SELECT 1"))
        session.commit()  # its connection goes back to the pool, alive
    assert kill_backends(pg) >= 1
    with maker() as session:  # the pre-ping finds the pooled one dead and connects anew
        assert session.execute(text("SELECT 1")).scalar_one() == 1


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


def test_a_job_whose_connection_dies_mid_run_fails_and_the_sweeper_gives_it_back(pg, db):
    note = queue_notification(db, "sms", "13812345678", "开放日报名成功", "您已报名")
    db.commit()
    job_id = db.scalars(select(OutboxJob.id)).one()
    db.commit()
    engine, killed = get_engine(pg), []

    def kill_before_marking_sent(_conn, _cursor, statement, *_args):
        if not killed and statement.lower().startswith("update notifications"):
            killed.append(kill_backends(pg))

    event.listen(engine, "before_cursor_execute", kill_before_marking_sent)
    try:
        with pytest.raises(DBAPIError):
            run_outbox_job(job_id)
    finally:
        event.remove(engine, "before_cursor_execute", kill_before_marking_sent)
    assert killed and killed[0] >= 1
    with session_factory(pg)() as check:
        job = check.get(OutboxJob, job_id)
        assert (job.status, job.attempts) == ("pending", 1) and "terminat" in job.last_error
        assert check.get(Notification, note.id).status != "sent"
    assert sweep_outbox() == 1
    assert run_outbox_job(job_id) == "done"
    with session_factory(pg)() as check:
        job = check.get(OutboxJob, job_id)
        assert (job.status, job.attempts) == ("done", 2)
        assert check.get(Notification, note.id).status == "sent"
