"""Worker reliability with a real Redis, real RQ worker processes and a real SMTP conversation:
a failing job is retried and visible, a worker killed mid-job loses nothing, and a rebuild of the
search index never interrupts searches."""

from __future__ import annotations

import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from portal.core.db import utcnow
from portal.core.jobs import OutboxJob, redis_connection, sweep_outbox
from portal.core.notify import Notification, queue_notification
from portal.core.settings import get_settings, reset_settings
from search.services.index import SearchQuery, document_count, rebuild, search

from factories import district, institution
from servers import free_port

DOCS = 40  # a rebuild of these takes a few seconds
WORKER = [sys.executable, "-m", "portal.cli", "worker"]


class Mailbox(socketserver.ThreadingTCPServer):
    """A tiny SMTP server on loopback: stores delivered messages; `hold` makes it hang silently
    after accepting a connection (a relay that stopped answering)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.hold = threading.Event()
        self.connected = threading.Event()
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def close(self) -> None:
        self.hold.clear()
        self.shutdown()
        self.server_close()


class _SmtpHandler(socketserver.StreamRequestHandler):
    timeout = 30

    def handle(self) -> None:
        server: Mailbox = self.server  # type: ignore[assignment]
        server.connected.set()
        if server.hold.is_set():
            while server.hold.is_set():  # never greet; the client waits inside the job
                time.sleep(0.05)
            return
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                server.messages.append(body)
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_env(env):
    """Notifications go out by SMTP to a server this test controls."""
    mailbox = Mailbox()
    os.environ["PORTAL_NOTIFICATION_SENDER"] = f"smtp:127.0.0.1:{mailbox.port}"
    reset_settings()
    yield mailbox
    os.environ.pop("PORTAL_NOTIFICATION_SENDER", None)
    reset_settings()
    mailbox.close()


def run_worker(*queues: str) -> None:
    """One real worker process that exits when the queues are empty."""
    result = subprocess.run([*WORKER, "--burst", *queues], env=os.environ.copy(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


def email(db, to: str = "family@example.org") -> OutboxJob:
    queue_notification(db, "email", to, "开放日报名成功", "您已报名")
    db.commit()  # dispatched to RQ after the commit
    return db.scalars(select(OutboxJob).where(OutboxJob.func == "portal.core.notify:send_notification")).one()


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(child) for child in fh.read().split()]


def fresh(db, model, row_id):
    db.expire_all()
    return db.get(model, row_id)


def test_a_failing_job_is_visible_with_its_reason_and_retried_until_it_succeeds(db, smtp_env):
    dead_port = free_port()  # nothing listens here: the relay is "down"
    os.environ["PORTAL_NOTIFICATION_SENDER"] = f"smtp:127.0.0.1:{dead_port}"
    job = email(db)
    run_worker()  # child processes read the environment, not this process's settings

    row = fresh(db, OutboxJob, job.id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("ConnectionRefusedError")
    # The SMS and mail jobs run in batches (`run_batch`): RQ lists the batch as failed, naming
    # the row and its error.
    failed = FailedJobRegistry("default", connection=redis_connection())
    (batch,) = failed.get_job_ids()
    error = Queue("default", connection=redis_connection()).fetch_job(batch) \
        .latest_result().exc_string
    assert f"outbox job {job.id}: ConnectionRefusedError" in error
    assert smtp_env.messages == []

    # The relay is back: the sweeper gives the failed attempt back to RQ at once.
    os.environ["PORTAL_NOTIFICATION_SENDER"] = f"smtp:127.0.0.1:{smtp_env.port}"
    reset_settings()
    assert sweep_outbox() == 1
    run_worker()
    row = fresh(db, OutboxJob, job.id)
    assert (row.status, row.attempts) == ("done", 2)
    assert len(smtp_env.messages) == 1 and b"family@example.org" in smtp_env.messages[0]
    assert fresh(db, Notification, row.args[0]).status == "sent"
    assert sweep_outbox() == 0  # nothing left to retry


def test_a_job_that_keeps_failing_stops_after_its_last_attempt(db, env):
    from portal.core.jobs import MAX_ATTEMPTS

    os.environ["PORTAL_NOTIFICATION_SENDER"] = f"smtp:127.0.0.1:{free_port()}"
    try:
        job = email(db)
        # Four attempts have already failed; the fifth is the last.
        db.execute(OutboxJob.__table__.update().where(OutboxJob.id == job.id)
                   .values(attempts=MAX_ATTEMPTS - 1))
        db.commit()
        run_worker()
    finally:
        os.environ.pop("PORTAL_NOTIFICATION_SENDER", None)
    row = fresh(db, OutboxJob, job.id)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in row.last_error
    assert sweep_outbox() == 0  # a failed row waits for a person (the operations page)


def test_a_worker_killed_mid_job_loses_nothing_and_the_mail_goes_out_once(db, smtp_env):
    smtp_env.hold.set()
    job = email(db)
    worker = subprocess.Popen([*WORKER, "default"], env=os.environ.copy(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        assert smtp_env.connected.wait(30), "the worker never reached the mail relay"
        assert fresh(db, OutboxJob, job.id).status == "running"
    finally:
        # A crash: the worker and its work horse (a child in its own process group) both die.
        for pid in children(worker.pid):
            os.kill(pid, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    smtp_env.hold.clear()

    run_worker()  # a restarted worker alone does not run it twice …
    row = fresh(db, OutboxJob, job.id)
    assert (row.status, smtp_env.messages) == ("running", [])
    assert sweep_outbox() == 0  # … nor does the sweeper while the claim's lease holds

    # The dead worker renews its claim no more: the job is given back once the lease lapsed,
    # well within a minute (it waited JOB_TIMEOUT + 2 minutes, 12 in all, before).
    later = utcnow() + timedelta(seconds=get_settings().outbox_lease_seconds + 1)
    assert later - utcnow() < timedelta(seconds=60 - get_settings().outbox_sweep_seconds)
    assert sweep_outbox(now=later) == 1
    run_worker()
    row = fresh(db, OutboxJob, job.id)
    assert (row.status, row.attempts) == ("done", 2)
    assert len(smtp_env.messages) == 1
    assert fresh(db, Notification, row.args[0]).status == "sent"
    assert sweep_outbox(now=later) == 0


@pytest.fixture
def short_lease(smtp_env):
    """Claims lapse after LEASE seconds (renewed every quarter of it), here and in workers."""
    os.environ["PORTAL_OUTBOX_LEASE_SECONDS"] = str(LEASE)
    reset_settings()
    yield smtp_env
    os.environ.pop("PORTAL_OUTBOX_LEASE_SECONDS", None)
    reset_settings()


LEASE = 4  # the held job ends at its SMTP timeout (10 s): watch it for LEASE + 1 s


def test_a_live_worker_keeps_its_claim_and_a_killed_ones_comes_back_at_once(db, short_lease):
    smtp_env = short_lease
    smtp_env.hold.set()  # the job hangs in the relay (for up to its 10 s SMTP timeout)
    job = email(db)
    worker = subprocess.Popen([*WORKER, "default"], env=os.environ.copy(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        assert smtp_env.connected.wait(30), "the worker never reached the mail relay"
        claimed = fresh(db, OutboxJob, job.id).started_at
        # The live worker renews its claim while the job runs …
        deadline = time.monotonic() + 30
        while fresh(db, OutboxJob, job.id).started_at == claimed:
            assert time.monotonic() < deadline, "the claim was never renewed"
            time.sleep(0.1)
        # … so the sweeper leaves it alone past the lease.
        while utcnow() < claimed + timedelta(seconds=LEASE + 1):
            assert sweep_outbox() == 0
            assert fresh(db, OutboxJob, job.id).status == "running"
            time.sleep(0.2)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    killed = time.monotonic()
    smtp_env.hold.clear()
    # The killed worker's claim lapses: the sweeper gives it back at its next run.
    deadline = killed + 60
    while sweep_outbox() == 0:
        assert time.monotonic() < deadline, "the dead worker's job was not given back"
        time.sleep(0.2)
    run_worker()
    row = fresh(db, OutboxJob, job.id)
    assert (row.status, row.attempts) == ("done", 2)
    assert len(smtp_env.messages) == 1


# The rebuild reads the database through the same ORM on either engine: SQLite is enough here.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_searches_keep_answering_while_portal_reindex_rebuilds(db, env):
    area = district(db, name="重建测试区")
    for n in range(DOCS):
        institution(db, area, name=f"常青{n:03d}号养老院", address=f"幸福路{n}号")
    db.commit()
    index_dir = get_settings().index_dir
    assert rebuild(index_dir, env) == DOCS

    answers: list[int] = []
    errors: list[str] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                answers.append(search(index_dir, SearchQuery(q="常青 养老院")).total)
            except Exception as exc:  # any failure is a failed answer
                errors.append(repr(exc))
            time.sleep(0.01)  # leave the shared CPU to the rebuild

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "portal.cli", "reindex"], env=os.environ.copy(),
            capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr[-2000:]
        during = len(answers)
        assert during >= 5, "too few searches ran during the rebuild"
        # A second swap prunes the first generation while this thread's searcher may hold it.
        assert rebuild(index_dir, env) == DOCS
        time.sleep(0.2)  # a few more searches on the newest generation
    finally:
        stop.set()
        searcher.join(timeout=30)
    assert errors == []
    assert len(answers) > during and set(answers) == {DOCS}
    assert document_count(index_dir) == DOCS
