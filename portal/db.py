"""Database: the declarative base, engine construction and sessions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, Executable, MetaData, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from portal.sqlite_writers import is_write, queue_writers

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


SQLITE_FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_sqlite_file(path: Path) -> None:
    """Create the database file owner-only (0600), or make an existing one and its side files
    so. It holds complainants' names and phones; SQLite creates -wal and -shm with the mode of
    the database file, so they follow."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE))
    except FileExistsError:
        pass
    for file in (path, *(path.with_name(path.name + side) for side in SQLITE_SIDE_FILES)):
        try:
            if file.stat().st_mode & 0o777 != SQLITE_FILE_MODE:
                os.chmod(file, SQLITE_FILE_MODE)
        except FileNotFoundError:
            pass


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_sqlite_file(Path(parsed.database))
        # One connection per thread of the request thread pool (40), so none waits for one.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10},
                               pool_size=40, max_overflow=10)
        event.listen(engine, "connect", _sqlite_pragmas)
        queue_writers(engine, parsed.database if parsed.database != ":memory:" else None)
        return engine
    # As many connections as request threads (40), so a request never waits for the pool.
    # Pre-ping (SQLAlchemy's pessimistic disconnect handling): a pooled connection that died
    # while idle (PostgreSQL restarted, its backend terminated) is found by a `SELECT 1` when it
    # is checked out and replaced, before any statement of the request or job. One round trip
    # per checkout. A connection lost later fails its request (a 500 page) or job (retried by
    # the outbox sweeper); neither is ever run again in-process: its writes may have committed.
    engine = create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
    event.listen(engine, "before_cursor_execute", _refuse_writes_when_reading)
    return engine


# A GET request's session on PostgreSQL runs without a transaction (`reading`): psycopg sends
# BEGIN before a transaction's first statement and the pool's ROLLBACK ends it, two round trips
# of each request besides its statements (the page went 707 → 871 req/s without them,
# bench/RESULTS.md). Each statement sees its own snapshot under READ COMMITTED either way. Such
# a connection refuses writes: a GET must not write, and in autocommit two writes would not
# be one transaction.
READING = "portal_reading"


class WriteWhileReading(RuntimeError):
    """A write statement on a GET request's connection (see `reading`)."""


def _refuse_writes_when_reading(conn, _cursor, statement: str, *_args) -> None:
    if conn.get_execution_options().get(READING) and is_write(statement):
        raise WriteWhileReading(f"a GET request may not write: {statement[:60]}")


def reading(session: Session) -> None:
    """Run this session's reads without a transaction on PostgreSQL (see READING); SQLite's
    read transactions cost no round trip and stay as they are. Call before its first statement;
    after a rollback the session is transactional again."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT", READING: True})


_engines: dict[str, Engine] = {}


def get_engine(url: str) -> Engine:
    """One engine per URL per process."""
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _factories.clear()


_factories: dict[str, sessionmaker[Session]] = {}


def session_factory(url: str) -> sessionmaker[Session]:
    """One sessionmaker per database. Each sessionmaker makes a Session subclass of its own, and
    a new class per request made SQLAlchemy set up its event listeners afresh for each one
    (≈ 7 % of an institution page's handler time, profiled)."""
    factory = _factories.get(url)
    if factory is None:
        factory = _factories[url] = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    return factory


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session for scripts and jobs: commit on success, roll back on error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# Reads on the hot paths (directory, queue) are Core statements of plain columns. Through
# `Session.execute` each one also went through the ORM's execution and result layers, and a
# Core result iterated row by row calls the DBAPI's fetchone per row: these run them on the
# session's connection (same transaction) and fetch all rows at once (≈ 10 % of a directory
# view, bench/RESULTS.md). No autoflush: for reads, not after unflushed ORM changes.


def core_rows(session: Session, stmt: Executable, params: dict[str, Any] | None = None) -> list:
    """All rows of a Core statement, fetched at once."""
    return session.connection().execute(stmt, params).all()


def core_scalars(session: Session, stmt: Executable,
                 params: dict[str, Any] | None = None) -> list:
    """The first column of every row of a Core statement."""
    return session.connection().execute(stmt, params).scalars().all()


def core_scalar(session: Session, stmt: Executable, params: dict[str, Any] | None = None) -> Any:
    """The first column of the first row (None without rows)."""
    return session.connection().execute(stmt, params).scalar()


_NEXTVAL = text("SELECT nextval(pg_get_serial_sequence(:table, 'id'))")


def next_id(session: Session, model: type) -> int | None:
    """On PostgreSQL the next value of a table's `id` sequence, for a row whose other columns
    need its id before its INSERT; None on SQLite (its ids come with the INSERT)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return core_scalar(session, _NEXTVAL, {"table": model.__tablename__})
