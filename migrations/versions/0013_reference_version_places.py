"""reference version: districts and streets bump it too

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 23:50:00.000000

The directory and the open-day list show every district with its streets; they change only by
an admin's edit or a data load. The triggers of migration 0012 now watch `districts` and
`streets` too, so a process may keep the districts it read under the number
(portal/institutions/services/queries.py: districts) instead of reading them for every view.

Later migrations must not rebuild these tables with SQLite's batch mode: the copy would lose
the triggers.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("districts", "streets")
BUMP = "UPDATE reference_version SET n = n + 1 WHERE id = 1"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:  # reference_version_bump() is migration 0012's
            op.execute(f"CREATE TRIGGER reference_version AFTER INSERT OR UPDATE OR DELETE OR "
                       f"TRUNCATE ON {table} FOR EACH STATEMENT "
                       "EXECUTE FUNCTION reference_version_bump()")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"CREATE TRIGGER reference_version_{table}_{event} AFTER "
                           f"{event.upper()} ON {table} BEGIN {BUMP}; END")
    op.execute(BUMP)  # what processes kept before this migration is read again


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS reference_version ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS reference_version_{table}_{event}")
