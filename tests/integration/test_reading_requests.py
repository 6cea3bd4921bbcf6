"""GET requests read without a transaction on PostgreSQL, and may not write."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from portal.db import WriteWhileReading, reading, session_factory

from support import statements as recorded


def test_a_reading_session_sends_no_begin_and_refuses_writes(env):
    from portal.db import get_engine

    engine = get_engine(env)
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's read transactions cost no round trip: left as they are")
    with recorded(engine) as statements:
        with session_factory(env)() as db:
            reading(db)
            assert db.execute(text("SELECT 1")).scalar() == 1
            # psycopg sends BEGIN itself, unseen by SQLAlchemy, unless in autocommit.
            assert db.connection().connection.dbapi_connection.autocommit is True
            with pytest.raises(WriteWhileReading):
                db.execute(text("UPDATE users SET display_name = display_name"))
            db.rollback()
            # After a rollback the session is an ordinary transactional one again.
            db.execute(text("UPDATE users SET display_name = display_name"))
            db.rollback()
        with session_factory(env)() as db:  # the pool gave the connection back as it was
            db.execute(text("SELECT 1"))
            assert db.connection().connection.dbapi_connection.autocommit is False
    # The refused UPDATE never reached the server; the one after the rollback did.
    assert sum(s.startswith("UPDATE users") for s in statements) == 1


def test_get_pages_work_on_a_reading_session(client, db):
    """Every public page a visitor opens is a GET on a reading session (PostgreSQL): none of
    them writes (the suite's functional tests cover the rest of the GET routes)."""
    from factories import institution

    inst = institution(db)
    db.commit()
    for path in ("/", "/institutions/", f"/institutions/{inst.id}", "/institutions/lists",
                 "/opendays/", "/complaints/new", "/accounts/login"):
        assert client.get(path).status_code == 200, path
