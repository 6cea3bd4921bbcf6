"""SQLite writers take turns (portal/sqlite_writers.py): threads and processes, no sleeping in
SQLite's busy handler. SQLite's own busy timeout is set to 0 here, so any two writers that met
inside SQLite would fail with "database is locked" instead of waiting."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import event, text

from portal.db import make_engine

ROWS_PER_WRITER = 40
ROOT = Path(__file__).resolve().parents[3]


def _engine(path):
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_connection, _record):  # runs after the portal's pragmas
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    return engine


# A writer process: its own engine, SQLite's busy timeout at 0, ROWS_PER_WRITER transactions.
WRITER = """
import sys
from sqlalchemy import event, text
from portal.db import make_engine
engine = make_engine("sqlite:///" + sys.argv[1])
event.listen(engine, "connect", lambda c, _r: c.execute("PRAGMA busy_timeout=0"))
for n in range(int(sys.argv[3])):
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t (writer, n) VALUES (:w, :n)"),
                     {"w": int(sys.argv[2]), "n": n})
        conn.execute(text("UPDATE counter SET value = value + 1"))
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


def test_threads_of_one_process_take_turns(tmp_path):
    path = tmp_path / "w.sqlite3"
    engine = _setup(path)
    shared = _engine(path)
    errors: list[str] = []

    def run(writer):
        try:
            for n in range(ROWS_PER_WRITER):
                with shared.begin() as conn:
                    conn.execute(text("INSERT INTO t VALUES (:w, :n)"), {"w": writer, "n": n})
                    conn.execute(text("UPDATE counter SET value = value + 1"))
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _count(engine) == (8 * ROWS_PER_WRITER, 8 * ROWS_PER_WRITER)


def test_processes_take_turns_on_the_lock_file(tmp_path):
    path = tmp_path / "w.sqlite3"
    engine = _setup(path)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(w),
                               str(ROWS_PER_WRITER)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
             for w in range(4)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert _count(engine) == (4 * ROWS_PER_WRITER, 4 * ROWS_PER_WRITER)
    assert (tmp_path / "w.sqlite3-writer.lock").exists()


def test_the_turn_is_given_back_after_rollback_and_when_a_connection_is_dropped(tmp_path):
    path = tmp_path / "w.sqlite3"
    _setup(path)
    engine = _engine(path)
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO t VALUES (1, 1)"))
        conn.rollback()
    with engine.connect() as conn:  # returned to the pool mid-transaction: the pool rolls back
        conn.execute(text("INSERT INTO t VALUES (2, 2)"))
    conn = engine.connect()
    conn.execute(text("INSERT INTO t VALUES (3, 3)"))
    conn.invalidate()
    done = threading.Event()

    def other_writer():
        with engine.begin() as c:
            c.execute(text("INSERT INTO t VALUES (4, 4)"))
        done.set()

    t = threading.Thread(target=other_writer)
    t.start()
    t.join(10)
    assert done.is_set()
    assert _count(engine)[0] == 1


def test_a_forked_child_does_not_keep_a_dead_parents_turn(tmp_path):
    """A process killed while writing gives the turn back (its flock goes with it) — unless a
    child it forked still has the lock file open: an flock belongs to the open file, which the
    child shares. RQ forks its scheduler from the worker; a worker killed mid-job must not leave
    the web waiting for that scheduler to exit."""
    import fcntl
    import os
    import signal

    from portal.sqlite_writers import WriterTurns

    lock = tmp_path / "portal.sqlite3-writer.lock"
    turns = WriterTurns(lock)
    read_end, write_end = os.pipe()
    worker = os.fork()
    if worker == 0:  # the worker: takes the turn, forks a long-lived child, dies holding it
        try:
            turns.take(object())
            child = os.fork()
            if child == 0:  # running: the fork's handlers in this child have run
                os.write(write_end, f"{os.getpid():>10}".encode())
                signal.pause()
        finally:
            os._exit(0)
    os.waitpid(worker, 0)
    child = int(os.read(read_end, 10))
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError while the child has it
    finally:
        os.close(fd)
        os.kill(child, signal.SIGKILL)  # not ours to wait for: the dead worker's child
