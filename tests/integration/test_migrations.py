"""Migrations build the schema on SQLite and PostgreSQL, and agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal.db import get_engine
from portal.models import Base


def test_upgrade_reaches_head_and_autogenerate_finds_no_difference(database_url):
    engine = get_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert context.get_current_revision() is not None
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    tables = set(inspect(engine).get_table_names())
    assert {"institutions", "users", "outbox_jobs", "departments"} <= tables


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_url):
    engine = get_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
