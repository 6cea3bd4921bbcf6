"""Suite-wide fixtures: real Redis and PostgreSQL servers, migrated databases, app clients."""

from __future__ import annotations

import os
import queue
import shutil
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).parent))

from servers import PostgresServer, RedisServer  # noqa: E402
from support import ARTIFACTS  # noqa: E402

# No test may depend on the machine's speed: hypothesis's per-example deadline and its "input
# generation is slow" health check both do (test_privacy's phone property failed the check with
# the 2-core machine at load 16). Tests that set their own settings inherit this profile.
settings.register_profile("portal", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("portal")


def pytest_configure(config: pytest.Config) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    cheap_password_hashing()
    # The in-process clients' host names (Starlette's TestClient, schemathesis) besides
    # PORTAL_BASE_URL's 127.0.0.1, which the servers started by tests listen on.
    os.environ["PORTAL_ALLOWED_HOSTS"] = "testserver,localhost"


def cheap_password_hashing() -> None:
    """Argon2id at its lowest cost for the in-process app (as Django's docs advise for tests):
    the production cost (t=3, 64 MiB, p=4) is 0.1–0.6 s per sign-in on two shared cores, and the
    suite signs in thousands of times. Same algorithm and output (`$argon2id$…`); argon2 reads a
    hash's cost from the hash, so servers started by tests verify these hashes too (and rehash
    them at production cost, as after a cost change). tests/unit/portal/test_passwords.py checks
    the production hasher itself. Runs before any test module imports the app, so the login's
    dummy hash (portal.accounts.services) is cheap too."""
    from argon2 import PasswordHasher

    from portal.accounts.rules import passwords

    production = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1,
                                       hash_len=production.hash_len,
                                       salt_len=production.salt_len, type=production.type)


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
    from portal.core.db import dispose_engines
    from portal.core.settings import reset_settings

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
    from portal.core.migrate import upgrade

    path = session_tmp / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    from portal.core.db import dispose_engines

    dispose_engines()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    import psycopg

    from portal.core.db import dispose_engines
    from portal.core.migrate import upgrade

    with psycopg.connect(
        f"host=127.0.0.1 port={postgres_server.port} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        conn.execute("CREATE DATABASE portal_template")
    upgrade(postgres_server.url("portal_template"))
    dispose_engines()
    return "portal_template"


class DatabasePool:
    """Fresh copies of the migrated template, made AHEAD of need by a background thread: the
    CREATE DATABASE (0.1-0.5 s) runs in the PostgreSQL server, on the other core, while the
    previous test runs. Each database is used by one test only and dropped after it by the same
    thread (left for the end, the hundreds of copies made the final clean-up of the cluster take
    minutes)."""

    AHEAD = 2

    def __init__(self, server: PostgresServer, template: str) -> None:
        self.server, self.template = server, template
        self.ready: queue.Queue[str | BaseException] = queue.Queue(maxsize=self.AHEAD)
        self.used: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._work, name="db-pool", daemon=True)
        self.wake.set()
        self.thread.start()

    def _work(self) -> None:
        import psycopg

        try:
            with psycopg.connect(f"host=127.0.0.1 port={self.server.port} user=postgres "
                                 "dbname=postgres", autocommit=True) as conn:
                while not self.stopping.is_set():
                    self.wake.clear()
                    while not self.ready.full():  # only this thread puts: no race
                        name = "t_" + uuid.uuid4().hex[:12]
                        conn.execute(f"CREATE DATABASE {name} TEMPLATE {self.template}")
                        self.ready.put_nowait(self.server.url(name))
                    try:
                        name = self.used.get_nowait()
                    except queue.Empty:
                        self.wake.wait()  # until a test takes a database or gives one back
                        continue
                    try:  # FORCE: a connection a test left open does not keep its database
                        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                    except psycopg.Error:
                        pass  # left to the removal of the whole cluster at the end
        except BaseException as exc:  # handed to the test that waits for a database
            if not self.stopping.is_set():
                self.ready.put_nowait(exc)  # not full: only CREATE or connect can fail here

    def take(self) -> str:
        item = self.ready.get()
        self.wake.set()
        if isinstance(item, BaseException):
            raise RuntimeError("could not copy the template database") from item
        return item

    def give_back(self, url: str) -> None:
        self.used.put(url.rsplit("/", 1)[-1])
        self.wake.set()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.thread.join()


@pytest.fixture(scope="session")
def postgres_pool(postgres_server: PostgresServer, postgres_template: str
                  ) -> Iterator[DatabasePool]:
    pool = DatabasePool(postgres_server, postgres_template)
    yield pool
    pool.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A freshly migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "portal.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    pool = request.getfixturevalue("postgres_pool")
    url = pool.take()
    request.addfinalizer(lambda: pool.give_back(url))  # after the test's own fixtures ended
    return url


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
    from portal.core.db import dispose_engines

    dispose_engines()


def observing(engine):
    """The engine for a test's own session (`db`). On SQLite its connections use the driver's
    legacy transactions, as every session did before portal/core/db.py took BEGIN over: reads run
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
    from portal.core.db import get_engine, session_factory

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
