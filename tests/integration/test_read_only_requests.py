"""A GET request's session is read-only in the database itself (portal/core/db.py: read_only): a
connection of the read-only pool on PostgreSQL (`default_transaction_read_only`), `PRAGMA
query_only` on SQLite. Any write fails, whatever its
form, including a data-modifying CTE that a check of the statement's first word missed."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from portal.core.db import read_only, session_factory
from portal.core.endpoints import view

WRITES = [
    "UPDATE users SET display_name = 'x'",
    "DELETE FROM users",
    "WITH changed AS (UPDATE users SET display_name = 'x' RETURNING id) "
    "SELECT count(*) FROM changed",
]


def _names(env) -> list[str]:
    with session_factory(env)() as db:
        return db.execute(text("SELECT display_name FROM users ORDER BY id")).scalars().all()


@pytest.fixture
def user(db):
    from portal.accounts.rules.roles import Role

    from factories import user as make_user

    make_user(db, Role.OPERATOR)
    db.commit()


@pytest.mark.parametrize("streaming", [False, True], ids=["pooled", "streaming"])
@pytest.mark.parametrize("statement", WRITES)
def test_a_read_only_session_refuses_writes(env, user, statement, streaming):
    """`streaming` (a download's server-side cursor): a READ ONLY transaction on PostgreSQL."""
    if statement.startswith("WITH") and env.startswith("sqlite"):
        # SQLite has no data-modifying CTE; its form is WITH … UPDATE (the unit tests').
        statement = "WITH c AS (SELECT 'x' AS v) UPDATE users SET display_name = (SELECT v FROM c)"
    before = _names(env)
    with session_factory(env)() as db:
        read_only(db, streaming=streaming)
        with pytest.raises(DBAPIError, match="read-only transaction|readonly database"):
            db.execute(text(statement))
        db.rollback()
    assert _names(env) == before


def test_a_pooled_connection_writes_again_after_a_read_only_session(env, user):
    """SQLite: the connection the reader gave back is lent to a writer and writes. PostgreSQL:
    readers have their own pool, whose connections a writer is never lent."""
    with session_factory(env)() as db:
        read_only(db)
        reader = db.connection().connection.driver_connection
        db.execute(text("SELECT 1"))
    with session_factory(env)() as db:
        writer = db.connection().connection.driver_connection
        assert (writer is reader) == env.startswith("sqlite")
        db.execute(text("UPDATE users SET display_name = 'written'"))
        db.commit()
    assert set(_names(env)) == {"written"}


def test_a_get_handler_cannot_write_and_a_post_handler_can(env, user):
    """Through the portal's view wrapper (portal/core/endpoints.py: view)."""

    @view()
    def rename(ctx):
        ctx.db.execute(text(
            "WITH c AS (SELECT 'renamed' AS v) UPDATE users SET display_name = (SELECT v FROM c)"
        ))
        ctx.db.commit()
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/rename", rename, methods=["GET", "POST"])])
    before = _names(env)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/rename").status_code == 500
        assert _names(env) == before
        assert client.post("/rename").status_code == 200
    assert set(_names(env)) == {"renamed"}


def test_get_pages_work_on_a_read_only_session(client, db):
    """Every public page a visitor opens is a GET on a read-only session: none of them writes
    (the suite's functional tests cover the rest of the GET routes)."""
    from factories import institution

    inst = institution(db)
    db.commit()
    for path in ("/", "/institutions/", f"/institutions/{inst.id}", "/institutions/lists",
                 "/opendays/", "/complaints/new", "/accounts/login"):
        assert client.get(path).status_code == 200, path
