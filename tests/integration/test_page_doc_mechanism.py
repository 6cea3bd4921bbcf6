"""The page documents' machinery exists at migration head on both databases (issue 19: whatever
stays has a test that it exists at head): the table the documents are stored in, the version
they are checked against, and the triggers that raise it on every change the page shows."""

from __future__ import annotations

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from portal.core.db import get_engine
from portal.core.migrate import alembic_config
from portal.institutions.services import pagedoc

# The tables whose rows the page shows, by institution (migration 0009's CHILDREN).
SHOWN = ("fee_items", "service_resources", "grades", "inspections", "penalties",
         "credit_entries", "institution_rules", "credit_commitments", "disclosure_versions",
         "institution_status_changes")  # and 0024's status history


def _triggers(conn) -> dict[str, set[str]]:
    """Trigger names by table."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text("SELECT c.relname, t.tgname FROM pg_trigger t "
                                 "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"))
    else:
        rows = conn.execute(text("SELECT tbl_name, name FROM sqlite_master "
                                 "WHERE type = 'trigger'"))
    found: dict[str, set[str]] = {}
    for table, name in rows:
        found.setdefault(table, set()).add(name)
    return found


def test_page_documents_exist_at_migration_head(database_url):
    engine = get_engine(database_url)
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
        schema = inspect(conn)
        columns = {c["name"]: c for c in schema.get_columns("institution_page_docs")}
        assert set(columns) == {"institution_id", "records_version", "build_key", "body",
                                "built_at"}
        assert columns["build_key"]["type"].length >= len(pagedoc.build_key())
        assert "records_version" in {c["name"] for c in schema.get_columns("institutions")}
        triggers = _triggers(conn)
    for table in (*SHOWN, "institutions", "departments", "districts", "streets"):
        assert any(name.startswith("page_version_") for name in triggers.get(table, ())), table
