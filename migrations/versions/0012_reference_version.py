"""reference version: one number that every change of the complaint rules' reference data bumps

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 21:00:00.000000

Intake read the active routing rules, every office and the loaded calendar years for each
complaint, a queue view two of them (bench/RESULTS.md, sixth pass); they change only by an
admin's edit. Triggers add one to `reference_version.n` in the transaction of any insert,
update or delete of `routing_rules`, `departments` or `holiday_years`, whatever writes it, so a
process may keep what it read under that number (complaints/services/reference.py) and read one number
per request instead of the three tables.

Later migrations must not rebuild these three tables with SQLite's batch mode: the copy would
lose the triggers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("routing_rules", "departments", "holiday_years")
BUMP = "UPDATE reference_version SET n = n + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        'reference_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute("INSERT INTO reference_version (id, n) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION reference_version_bump() RETURNS trigger LANGUAGE plpgsql "
                   f"AS $$ BEGIN {BUMP}; RETURN NULL; END $$")
        for table in TABLES:
            # Once per statement, however many rows it changed.
            op.execute(f"CREATE TRIGGER reference_version AFTER INSERT OR UPDATE OR DELETE OR "
                       f"TRUNCATE ON {table} FOR EACH STATEMENT "
                       "EXECUTE FUNCTION reference_version_bump()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"CREATE TRIGGER reference_version_{table}_{event} AFTER "
                           f"{event.upper()} ON {table} BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS reference_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS reference_version_bump()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS reference_version_{table}_{event}")
    op.drop_table('reference_version')
