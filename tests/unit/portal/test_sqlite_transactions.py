"""SQLite transactions by SQLAlchemy's recipe (portal/core/db.py): the driver's own BEGIN switched off,
`BEGIN IMMEDIATE` for writing sessions, a deferred `BEGIN` with `PRAGMA query_only` for a GET
request's reading session.

The writers here read a counter and write it back plus one in one transaction: two writers
that both read before either writes would lose an update (the driver's legacy mode reads
outside the transaction) or deadlock upgrading their read locks ("database is locked" at once,
without waiting, under a deferred BEGIN). `BEGIN IMMEDIATE` makes them take turns."""

from __future__ import annotations

import inspect
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal.core.db import READ_ONLY, make_engine, read_only

ROWS_PER_WRITER = 40
# Processes start one after another: enough rows each that they overlap for a while.
ROWS_PER_PROCESS = 200
ROOT = Path(__file__).resolve().parents[3]


def increment(conn, writer, n):
    """One transaction's work: read the counter, write it back plus one, and add a row."""
    value = conn.execute(text("SELECT value FROM counter")).scalar()
    conn.execute(text("INSERT INTO t (writer, n) VALUES (:w, :n)"), {"w": writer, "n": n})
    conn.execute(text("UPDATE counter SET value = :v"), {"v": value + 1})


# A writer process: its own engine of the portal's, ROWS_PER_PROCESS transactions.
WRITER = """
import sys
from sqlalchemy import text
from portal.core.db import make_engine
""" + inspect.getsource(increment) + """
engine = make_engine("sqlite:///" + sys.argv[1])
with engine.connect():
    pass
go = sys.stdin.readline()  # all processes are ready: start together
for n in range(int(sys.argv[3])):
    with engine.begin() as conn:
        increment(conn, int(sys.argv[2]), n)
"""


def _setup(path):
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (writer INTEGER, n INTEGER)"))
        conn.execute(text("CREATE TABLE counter (value INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    return engine


def _count(engine):
    with engine.connect() as conn:
        return (conn.execute(text("SELECT count(*) FROM t")).scalar(),
                conn.execute(text("SELECT value FROM counter")).scalar())


def _never_waiting(path):
    """An engine of the portal's whose connections never wait for a lock (busy timeout 0): a
    statement that would have to wait fails with "database is locked" instead."""
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_connection, _record):  # runs after the portal's pragmas
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    return engine


def test_threads_writing_at_once_all_commit_and_lose_no_update(tmp_path):
    path = tmp_path / "w.sqlite3"
    engine = _setup(path)
    barrier = threading.Barrier(8)
    errors: list[str] = []

    def run(writer):
        try:
            barrier.wait()
            for n in range(ROWS_PER_WRITER):
                with engine.begin() as conn:
                    increment(conn, writer, n)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _count(engine) == (8 * ROWS_PER_WRITER, 8 * ROWS_PER_WRITER)


def test_processes_writing_at_once_all_commit_and_lose_no_update(tmp_path):
    path = tmp_path / "w.sqlite3"
    engine = _setup(path)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(w),
                               str(ROWS_PER_PROCESS)], cwd=ROOT, stdin=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for w in range(4)]
    for p in procs:  # every process has its engine: let them all start at once
        p.stdin.write("go\n")
        p.stdin.flush()
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert _count(engine) == (4 * ROWS_PER_PROCESS, 4 * ROWS_PER_PROCESS)
    assert not list(tmp_path.glob("*.lock"))  # no lock files of our own beside the database


def test_a_reading_session_neither_blocks_a_writer_nor_sees_its_partial_write(tmp_path):
    path = tmp_path / "w.sqlite3"
    _setup(path)
    engine = _never_waiting(path)  # a wait for a lock would fail, not pass slowly
    with engine.connect() as writer, \
            engine.connect().execution_options(**{READ_ONLY: True}) as reader:
        writer.begin()  # BEGIN IMMEDIATE: the write lock is taken
        writer.execute(text("INSERT INTO t VALUES (1, 1)"))
        reader.begin()  # a deferred BEGIN does not wait for the writer
        assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0  # not half of it
        writer.execute(text("INSERT INTO t VALUES (1, 2)"))
        writer.execute(text("UPDATE counter SET value = 2"))
        writer.commit()  # while the reader's snapshot is open: WAL lets it commit
        # The reader keeps the snapshot it started with for its whole transaction.
        assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0
        assert reader.execute(text("SELECT value FROM counter")).scalar() == 0
        reader.rollback()
        reader.begin()
        assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 2
        assert reader.execute(text("SELECT value FROM counter")).scalar() == 2
        reader.rollback()


@pytest.mark.parametrize("statement", [
    "INSERT INTO t VALUES (9, 9)",
    "UPDATE counter SET value = 99",
    # A data-modifying statement behind a WITH, which a check of the statement's first word
    # (the removed portal/sqlite_writers.py: is_write) took for a read.
    "WITH c AS (SELECT 99 AS v) UPDATE counter SET value = (SELECT v FROM c)",
    "DELETE FROM t",
])
def test_a_reading_session_refuses_every_write(tmp_path, statement):
    path = tmp_path / "w.sqlite3"
    engine = _setup(path)
    with Session(engine) as session:
        read_only(session)
        with pytest.raises(OperationalError, match="readonly database"):
            session.execute(text(statement))
        session.rollback()
    assert _count(engine) == (0, 0)


def test_a_pooled_connection_does_not_take_query_only_into_a_later_write(tmp_path):
    path = tmp_path / "w.sqlite3"
    _setup(path)
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        read_only(session)
        reading = session.connection().connection.driver_connection
        assert session.execute(text("PRAGMA query_only")).scalar() == 1
    # The connection is back in the pool: query_only is off on it again.
    assert reading.execute("PRAGMA query_only").fetchone()[0] == 0
    with Session(engine) as session:  # the same connection, lent again, to a writer
        assert session.connection().connection.driver_connection is reading
        session.execute(text("UPDATE counter SET value = 5"))
        session.commit()
    with Session(engine) as session:  # and once more to a reader
        read_only(session)
        assert session.connection().connection.driver_connection is reading
        assert session.execute(text("SELECT value FROM counter")).scalar() == 5
        with pytest.raises(OperationalError, match="readonly database"):
            session.execute(text("UPDATE counter SET value = 6"))


def test_a_session_writes_again_after_its_read_only_transaction(tmp_path):
    path = tmp_path / "w.sqlite3"
    engine = _setup(path)
    with Session(engine) as session:
        read_only(session)
        session.execute(text("SELECT 1"))
        session.rollback()
        session.execute(text("INSERT INTO t VALUES (1, 1)"))
        session.commit()
    assert _count(engine)[0] == 1


def test_a_savepoint_rolls_back_inside_the_transaction(tmp_path):
    """With the driver's own BEGIN gone, SAVEPOINT is part of the transaction (the recipe's
    other purpose): rolling back to it undoes only what came after it."""
    path = tmp_path / "w.sqlite3"
    engine = _setup(path)
    with Session(engine) as session:
        session.execute(text("INSERT INTO t VALUES (1, 1)"))
        nested = session.begin_nested()
        session.execute(text("INSERT INTO t VALUES (1, 2)"))
        nested.rollback()
        session.commit()
    assert _count(engine)[0] == 1


def test_autocommit_begins_nothing_and_leaves_the_connection_to_the_recipe(tmp_path):
    """SQLAlchemy's AUTOCOMMIT sends no BEGIN; giving the connection back from it sets the
    driver's legacy mode, which the next transaction takes away again."""
    path = tmp_path / "w.sqlite3"
    engine = _setup(path)
    with Session(engine.execution_options(isolation_level="AUTOCOMMIT")) as session:
        session.execute(text("UPDATE counter SET value = 1"))  # committed at once
        dbapi = session.connection().connection.driver_connection
        assert not dbapi.in_transaction
        session.rollback()
    assert _count(engine)[1] == 1
    with Session(engine) as session:
        assert session.connection().connection.driver_connection is dbapi
        assert dbapi.isolation_level is None and dbapi.in_transaction  # our BEGIN IMMEDIATE
