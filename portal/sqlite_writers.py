"""SQLite writers take turns on a lock of ours instead of in SQLite's busy handler.

SQLite has one writer at a time. A writer that finds the database locked sleeps in SQLite's busy
handler in growing steps (1, 2, 5, 10 … up to 100 ms) and retries, so with many writers most of
the time goes to sleeping while the database is free: complaint intake on two web processes
reached ≈ 130/s with a p99 of 2.9 s. Here a writer waits for its turn from its first write
statement until its commit or rollback has finished, on a thread lock (the threads of one
process) and then on an flock of a file beside the database (the processes: web workers, the RQ
worker, commands). Both wake the next writer the moment the turn is given back. SQLite's own
locking still applies underneath, e.g. to a `sqlite3` shell writing at the same time.
"""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from pathlib import Path

from sqlalchemy import Engine, event

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE")
WRITER_WAIT_SECONDS = 30


def is_write(statement: str) -> bool:
    """Whether a statement writes rows (what takes SQLite's write turn, and what a PostgreSQL
    GET request's connection refuses, portal/db.py: reading)."""
    return statement.lstrip()[:7].upper().startswith(WRITES)


class WriterTurns:
    """One turn to write per database file; a DBAPI connection holds it for a transaction."""

    def __init__(self, lock_file: Path | None) -> None:
        self._threads = threading.Lock()
        self._lock_file = lock_file
        self._fd: int | None = None
        self._holders: set[int] = set()  # id() of the DBAPI connection holding the turn
        _ALL.add(self)

    def _forget_in_child(self) -> None:
        """In a forked child: drop the parent's lock file and turn. The flock belongs to the
        open file, which the child shares: kept open, a parent killed while writing (an RQ
        worker and the scheduler it forks) would leave its turn held until the child exits.
        Closed without unlocking, which would release the parent's turn."""
        if self._fd is not None:
            os.close(self._fd)
        self._fd = None
        self._threads = threading.Lock()  # another thread of the parent may have held it
        self._holders = set()

    def _file(self) -> int:
        # Opened per process: a forked child drops its parent's (`_forget_in_child`), since an
        # flock belongs to the open file and both would hold the turn at once.
        if self._fd is None:
            self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    @staticmethod
    def _key(connection: object) -> int:
        # SQLAlchemy hands the dialect its pool's proxy of the DBAPI connection.
        return id(getattr(connection, "dbapi_connection", connection))

    def take(self, connection: object) -> None:
        key = self._key(connection)
        if key in self._holders:
            return
        if not self._threads.acquire(timeout=WRITER_WAIT_SECONDS):
            raise TimeoutError(f"no turn to write to the database within {WRITER_WAIT_SECONDS} s")
        try:
            if self._lock_file is not None:
                fcntl.flock(self._file(), fcntl.LOCK_EX)  # releases the GIL while it waits
        except BaseException:
            self._threads.release()
            raise
        self._holders.add(key)

    def give_back(self, connection: object) -> None:
        key = self._key(connection)
        if key not in self._holders:
            return
        self._holders.discard(key)
        if self._lock_file is not None:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        self._threads.release()


_ALL: weakref.WeakSet[WriterTurns] = weakref.WeakSet()


def _forget_all_in_child() -> None:
    for turns in list(_ALL):
        turns._forget_in_child()


os.register_at_fork(after_in_child=_forget_all_in_child)


def queue_writers(engine: Engine, database: str | None) -> WriterTurns:
    """Make the engine's writers take turns (`database` is the file; None for :memory:)."""
    turns = WriterTurns(Path(f"{database}-writer.lock") if database else None)

    def take(conn, _cursor, statement: str, *_args) -> None:
        if is_write(statement):
            turns.take(conn.connection)

    # The turn is given back after the DBAPI commit or rollback has finished (SQLAlchemy's
    # commit event fires before it, when the database is still locked); the pool's reset of a
    # connection returned mid-transaction is a rollback too. A connection invalidated or closed
    # on an error path gives it back as well.
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection) -> None:
        try:
            commit(dbapi_connection)
        finally:
            turns.give_back(dbapi_connection)

    def do_rollback(dbapi_connection) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            turns.give_back(dbapi_connection)

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    event.listen(engine, "before_cursor_execute", take)
    for name in ("invalidate", "close"):
        event.listen(engine.pool, name,
                     lambda dbapi_connection, *_args: turns.give_back(dbapi_connection))
    return turns
