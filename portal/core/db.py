"""Database: the declarative base, engine construction and sessions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Executable,
    MetaData,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

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


# SQLite: SQLAlchemy's documented recipe for transactions with the sqlite3 driver (the SQLite
# dialect's "Transactions with SQLite and the sqlite3 driver", the way for Python < 3.12): the
# driver's own transaction handling is switched off on connect (`isolation_level = None`; in its
# legacy mode it sends BEGIN before an INSERT/UPDATE/DELETE only, so a session's reads were not
# in its transaction) and the engine's "begin" event sends the BEGIN itself:
# - `BEGIN IMMEDIATE` for every session but a GET request's: it takes the write lock at once,
#   so two writers never both hold a read snapshot and then deadlock upgrading it (which SQLite
#   answers with "database is locked" at once, without waiting); a writer that finds the lock
#   taken waits in SQLite's busy handler, up to BUSY_TIMEOUT_SECONDS;
# - a deferred `BEGIN` for a GET request's session (`read_only`): in WAL a reader neither waits
#   for a writer nor holds one up, and sees one snapshot for the whole request. Its connection
#   also has `PRAGMA query_only=ON`, so SQLite itself refuses any write; the pool turns it off
#   when the connection comes back, and every BEGIN sets it to what its session is.

# How long a writer waits for the write lock before "database is locked": the writers ahead of
# it in the queue each hold it for one transaction (a request's: milliseconds; a batch of page
# documents: about a second), so 10 s is well beyond a busy moment of a small deployment and
# still ends a request that would otherwise hang behind a stuck writer.
BUSY_TIMEOUT_SECONDS = 10
QUERY_ONLY = "portal_query_only"  # in a pooled connection's info: query_only is ON


def _sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # no BEGIN of the driver's: see _sqlite_begin
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cur.close()


def _set_query_only(dbapi_connection, info: dict, on: bool) -> None:
    if info.get(QUERY_ONLY, False) != on:
        dbapi_connection.execute(f"PRAGMA query_only={'ON' if on else 'OFF'}")
        info[QUERY_ONLY] = on


def _sqlite_begin(conn) -> None:
    options = conn.get_execution_options()
    reading = bool(options.get(READ_ONLY))
    pooled = conn.connection
    _set_query_only(pooled.driver_connection, pooled.info, reading)
    if options.get("isolation_level") == "AUTOCOMMIT":
        return  # SQLAlchemy's autocommit: no transaction to begin
    # SQLAlchemy gives a connection back from AUTOCOMMIT by setting the driver's legacy mode
    # (isolation_level ""): take it away again.
    pooled.driver_connection.isolation_level = None
    conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def _sqlite_checkin(dbapi_connection, record) -> None:
    if dbapi_connection is not None:  # None: invalidated, closed with its settings
        _set_query_only(dbapi_connection, record.info, False)


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
        # Sized well above the request threads of a web process (PORTAL_WEB_THREADS, 4 by
        # default; portal/app.py sets anyio's thread limiter, whose own default is 40, to it)
        # plus the threads besides them (the outbox lease, a command's or test's own threads),
        # so none waits for a connection; SQLite connections are cheap.
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": BUSY_TIMEOUT_SECONDS},
                               pool_size=40, max_overflow=10)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine.pool, "checkin", _sqlite_checkin)
        return engine
    # 20 kept (+20 in a burst) per process: well above its request threads (PORTAL_WEB_THREADS,
    # 4 by default) and the other threads that use the database, so a request never waits for
    # the pool.
    # Pre-ping (SQLAlchemy's pessimistic disconnect handling): a pooled connection that died
    # while idle (PostgreSQL restarted, its backend terminated) is found by a `SELECT 1` when it
    # is checked out and replaced, before any statement of the request or job. One round trip
    # per checkout. A connection lost later fails its request (a 500 page) or job (retried by
    # the outbox sweeper); neither is ever run again in-process: its writes may have committed.
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


# A GET request's session (`read_only`) is one the database refuses to write in, whatever form a
# statement takes (a data-modifying CTE, a function):
# - on PostgreSQL it runs on a second pool of autocommit connections opened with
#   `default_transaction_read_only=on` (`reading_engine`): PostgreSQL refuses their writes, and a
#   read costs one round trip per statement, as in autocommit. A `BEGIN READ ONLY` transaction
#   (`postgresql_readonly`) was tried first: its BEGIN and ROLLBACK made three round trips of
#   the benchmark's one-query ceiling page, which then ran at 510 req/s where it had run at
#   1,700-1,900 (bench/RESULTS.md, 2026-12-07: the 400k bench behind nginx); statement by
#   statement the two see the same data (read committed takes a snapshot per statement);
# - on SQLite `PRAGMA query_only` on a deferred transaction (`_sqlite_begin`).
READ_ONLY = "portal_read_only"
WRITER = "portal_writer"  # in a read-only session's info: the engine it would write with


def read_only(session: Session, *, streaming: bool = False) -> None:
    """Make this session read-only: the database refuses its writes. Call before its first
    statement; it holds until the session is closed (on SQLite, for its current transaction).
    `streaming`: it reads with a server-side cursor (`yield_per`), which PostgreSQL keeps only
    inside a transaction: a `BEGIN READ ONLY` one on the writing pool, for downloads."""
    bind = session.get_bind()
    options: dict[str, Any] = {READ_ONLY: True}
    if bind.dialect.name == "postgresql":
        if streaming:
            options["postgresql_readonly"] = True
        else:
            session.info[WRITER] = bind
            session.bind = reading_engine(bind)
    session.connection(execution_options=options)


def is_read_only(session: Session) -> bool:
    """Whether the session's current transaction is a read-only one (`read_only`)."""
    return session.in_transaction() and bool(
        session.connection().get_execution_options().get(READ_ONLY))


@contextmanager
def own_transaction(session: Session) -> Iterator[Connection]:
    """A transaction beside the session's, committed at once, for a write that must stay
    whatever the session does later (a login attempt counted, an API key's last use). Only
    before the session has written anything. On SQLite the session's transaction, which has
    only read, is ended first (committed; nothing is expired): it holds the one write lock this
    one would wait for. A read-only session (a GET's) holds none and stays as it is, as does
    any session on PostgreSQL, whose reads lock nothing a write waits for."""
    if (session.get_bind().dialect.name == "sqlite" and session.in_transaction()
            and not is_read_only(session)):
        session.commit()
    with session.info.get(WRITER, session.get_bind()).begin() as conn:
        yield conn


def plan_each_statement(session: Session) -> None:
    """For a transaction that writes thousands of rows into a table and reads it back as it goes
    (an import): on PostgreSQL, plan every statement for its own parameters until the
    transaction ends (`SET LOCAL plan_cache_mode`). psycopg prepares a statement run five times,
    and PostgreSQL then keeps a generic plan made for the table as its statistics knew it, which
    cannot know the rows this transaction has not committed. The import's lookup of a chunk's
    1,000 credit codes (`IN (…)`) became a sequential scan comparing every row with 1,000
    parameters: 1 s a chunk at 50,000 rows, 877 rows/s instead of 2,360 (bench/registry_import.py,
    bench/RESULTS.md). SQLite keeps no plans across statements."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


_engines: dict[str, Engine] = {}
_readers: dict[Engine, Engine] = {}


def get_engine(url: str) -> Engine:
    """One engine per URL per process."""
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def reading_engine(engine: Engine) -> Engine:
    """The PostgreSQL engine's read-only twin (one per engine per process): autocommit
    connections on which PostgreSQL refuses writes (`default_transaction_read_only`)."""
    reader = _readers.get(engine)
    if reader is None:
        reader = _readers[engine] = create_engine(
            engine.url, isolation_level="AUTOCOMMIT", pool_size=20, max_overflow=20,
            pool_pre_ping=True, connect_args={"options": "-c default_transaction_read_only=on"})
    return reader


def dispose_engines() -> None:
    for engine in [*_engines.values(), *_readers.values()]:
        engine.dispose()
    _engines.clear()
    _readers.clear()
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
def session_scope(url: str, *, reading: bool = False) -> Iterator[Session]:
    """A session for scripts and jobs: commit on success, roll back on error. `reading`: one
    that only reads (`read_only`), e.g. a long one that must not hold SQLite's write lock."""
    session = session_factory(url)()
    try:
        if reading:
            read_only(session)
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
