"""Suite-wide fixtures: real Redis and PostgreSQL servers, migrated databases, app clients."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).parent))

from servers import PostgresServer, RedisServer  # noqa: E402
from support import ARTIFACTS  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    # The in-process clients' host names (Starlette's TestClient, schemathesis) besides
    # PORTAL_BASE_URL's 127.0.0.1, which the servers started by tests listen on.
    os.environ["PORTAL_ALLOWED_HOSTS"] = "testserver,localhost"


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("portal")


@pytest.fixture(scope="session")
def redis_server(session_tmp: Path) -> Iterator[RedisServer]:
    server = RedisServer(session_tmp / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


def configure_env(var_dir: Path, database_url: str, redis_url: str) -> None:
    """Point the portal at this test's database and Redis, and forget cached settings."""
    from portal.db import dispose_engines
    from portal.settings import reset_settings

    os.environ.update(
        PORTAL_VAR_DIR=str(var_dir),
        PORTAL_DATABASE_URL=database_url,
        PORTAL_REDIS_URL=redis_url,
        PORTAL_SECRET_KEY="test-secret-" + "x" * 40,
        PORTAL_INDEX_DIR=str(var_dir / "index"),
    )
    reset_settings()
    dispose_engines()


@pytest.fixture(scope="session")
def sqlite_template(session_tmp: Path) -> Path:
    """A migrated SQLite file copied for each test (migrating once is much faster)."""
    from portal.migrate import upgrade

    path = session_tmp / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    from portal.db import dispose_engines

    dispose_engines()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    import psycopg

    from portal.db import dispose_engines
    from portal.migrate import upgrade

    with psycopg.connect(
        f"host=127.0.0.1 port={postgres_server.port} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute("CREATE DATABASE portal_template")
    upgrade(postgres_server.url("portal_template"))
    dispose_engines()
    return "portal_template"


def _new_postgres_db(server: PostgresServer, template: str) -> str:
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(
        f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    return server.url(name)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A freshly migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "portal.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    server = request.getfixturevalue("postgres_server")
    return _new_postgres_db(server, request.getfixturevalue("postgres_template"))


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "portal.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def env(tmp_path: Path, database_url: str, redis_server: RedisServer) -> Iterator[str]:
    """Portal settings for one test; yields the database URL."""
    configure_env(tmp_path / "var", database_url, redis_server.url)
    import redis

    # Queues and rate-limit counters of earlier tests must not leak into this one.
    redis.Redis.from_url(redis_server.url).flushall()
    yield database_url
    from portal.db import dispose_engines

    dispose_engines()


def observing(engine):
    """The engine for a test's own session (`db`). On SQLite its connections use the driver's
    legacy transactions, as every session did before portal/db.py took BEGIN over: reads run
    outside any transaction and writes in one from the first INSERT/UPDATE/DELETE to the
    commit. So a test that read something holds neither SQLite's write lock, which the
    portal's writing sessions take at their BEGIN (a request of the test would wait for it),
    nor an old snapshot it would read from after that request. PostgreSQL's READ COMMITTED
    gives that already."""
    if engine.dialect.name != "sqlite":
        return engine
    legacy = engine.execution_options(isolation_level="AUTOCOMMIT")  # no BEGIN of the portal's

    @event.listens_for(legacy, "begin")
    def _driver_begins(conn) -> None:
        conn.connection.driver_connection.isolation_level = ""  # the driver's deferred BEGIN

    return legacy


@pytest.fixture
def db(env: str):
    from portal.db import get_engine, session_factory

    engine = get_engine(env)
    with session_factory(env)(bind=observing(engine)) as session:
        yield session
    # The engine may have been dropped from the cache by an app's lifespan meanwhile (a second
    # TestClient): dispose it here so no pooled connection is left for the garbage collector.
    engine.dispose()


@pytest.fixture
def client(env: str):
    from starlette.testclient import TestClient

    from portal.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client
