"""directory counts: institutions per value of the directory's plain filters, by triggers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 18:40:00.000000

Measured at 400,000 institutions (bench/RESULTS.md, fifth pass): the directory's total for a
district and a kind counted up to 25,000 index entries, 0.67 ms of a 3.1 ms view.
`directory_counts` holds signed rows per (district, street, kind, nature, filing status, has
vacant beds), added by triggers as institutions enter and leave those values
(portal/core/signed_counts.py, as `queue_counts` in 0010). The existing counts are written in the
same transaction as the triggers.

Later migrations must not rebuild `institutions` with SQLite's batch mode: the copy would lose
its triggers (these and the page-version ones of 0009).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADD = ("INSERT INTO directory_counts "
       "(district_id, street_id, kind, nature, filing_status, vacant, n)")


def _values(row: str, n: int) -> str:
    return (f"({row}.district_id, coalesce({row}.street_id, 0), {row}.kind, {row}.nature, "
            f"{row}.filing_status, {row}.beds_vacant > 0, {n})")


COLUMNS = "district_id, street_id, kind, nature, filing_status, beds_vacant"


def _moved(op_: str) -> str:
    return " OR ".join(
        [f"NEW.{c} IS {op_} OLD.{c}" for c in ("district_id", "kind", "nature", "filing_status")]
        + [f"coalesce(NEW.street_id, 0) IS {op_} coalesce(OLD.street_id, 0)",
           f"(NEW.beds_vacant > 0) IS {op_} (OLD.beds_vacant > 0)"])


SQLITE_TRIGGERS = [
    "CREATE TRIGGER directory_counts_insert AFTER INSERT ON institutions BEGIN "
    f"{ADD} VALUES {_values('NEW', 1)}; END",
    f"CREATE TRIGGER directory_counts_update AFTER UPDATE OF {COLUMNS} ON institutions "
    f"WHEN {_moved('NOT')} BEGIN "
    f"{ADD} VALUES {_values('OLD', -1)}, {_values('NEW', 1)}; END",
    "CREATE TRIGGER directory_counts_delete AFTER DELETE ON institutions BEGIN "
    f"{ADD} VALUES {_values('OLD', -1)}; END",
]

POSTGRES_TRIGGERS = [
    "CREATE FUNCTION directory_counts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'INSERT' THEN {ADD} VALUES {_values('OLD', -1)}; END IF; "
    f"IF TG_OP <> 'DELETE' THEN {ADD} VALUES {_values('NEW', 1)}; END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER directory_counts AFTER INSERT OR DELETE ON institutions "
    "FOR EACH ROW EXECUTE FUNCTION directory_counts()",
    f"CREATE TRIGGER directory_counts_update AFTER UPDATE OF {COLUMNS} ON institutions "
    f"FOR EACH ROW WHEN ({_moved('DISTINCT FROM')}) EXECUTE FUNCTION directory_counts()",
]

BACKFILL = (
    f"{ADD} SELECT district_id, coalesce(street_id, 0), kind, nature, filing_status, "
    "beds_vacant > 0, count(*) FROM institutions GROUP BY district_id, coalesce(street_id, 0), "
    "kind, nature, filing_status, beds_vacant > 0"
)


def upgrade() -> None:
    op.create_table(
        'directory_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=False),
        sa.Column('street_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('nature', sa.String(length=20), nullable=False),
        sa.Column('filing_status', sa.String(length=20), nullable=False),
        sa.Column('vacant', sa.Boolean(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_directory_counts_district_kind', 'directory_counts',
                    ['district_id', 'kind'])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in (POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS) + [BACKFILL]:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS directory_counts ON institutions")
        op.execute("DROP TRIGGER IF EXISTS directory_counts_update ON institutions")
        op.execute("DROP FUNCTION IF EXISTS directory_counts()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS directory_counts_{name}")
    op.drop_index('ix_directory_counts_district_kind', table_name='directory_counts')
    op.drop_table('directory_counts')
