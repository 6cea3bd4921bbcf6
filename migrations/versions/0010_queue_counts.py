"""queue counts: each office's complaints per status and pending co-handling requests, by triggers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 18:10:00.000000

Measured at 2,000,000 complaints (bench/RESULTS.md, fifth pass): the queue's four tab badges
counted 15,000 + 6,500 index entries of the busiest office on every view, a quarter of its time.
`queue_counts` holds signed changes instead (complaints/models.py: QueueCount): triggers add
+1/-1 rows as complaints enter and leave an office's status, and co-handling requests start and
stop pending, so the counts stay exact however a row changes. Rows are only inserted: no hot row
for concurrent filings, no lock order between transactions. The existing counts are written
here, in the same transaction as the triggers (which hold off concurrent writes on PostgreSQL
until it commits).

Later migrations must not rebuild `complaints` or `co_handlings` with SQLite's batch mode (copy
and rename): the copy would lose the triggers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADD = "INSERT INTO queue_counts (office_id, bucket, n)"
OLD_PENDING = "OLD.replied_at IS NULL AND OLD.settled_at IS NULL"
NEW_PENDING = "NEW.replied_at IS NULL AND NEW.settled_at IS NULL"
COMPLAINT_MOVED = ("NEW.status IS {op} OLD.status "
                   "OR NEW.responsible_department_id IS {op} OLD.responsible_department_id")
CO_MOVED = (f"({OLD_PENDING}) IS {{op}} ({NEW_PENDING}) "
            "OR NEW.department_id IS {op} OLD.department_id")

SQLITE_TRIGGERS = [
    "CREATE TRIGGER queue_counts_complaints_insert AFTER INSERT ON complaints BEGIN "
    f"{ADD} VALUES (NEW.responsible_department_id, NEW.status, 1); END",
    "CREATE TRIGGER queue_counts_complaints_update "
    "AFTER UPDATE OF status, responsible_department_id ON complaints "
    f"WHEN {COMPLAINT_MOVED.format(op='NOT')} BEGIN "
    f"{ADD} VALUES (OLD.responsible_department_id, OLD.status, -1), "
    "(NEW.responsible_department_id, NEW.status, 1); END",
    "CREATE TRIGGER queue_counts_complaints_delete AFTER DELETE ON complaints BEGIN "
    f"{ADD} VALUES (OLD.responsible_department_id, OLD.status, -1); END",
    f"CREATE TRIGGER queue_counts_co_insert AFTER INSERT ON co_handlings WHEN {NEW_PENDING} "
    f"BEGIN {ADD} VALUES (NEW.department_id, 'co', 1); END",
    "CREATE TRIGGER queue_counts_co_update "
    "AFTER UPDATE OF replied_at, settled_at, department_id ON co_handlings "
    f"WHEN {CO_MOVED.format(op='NOT')} BEGIN "
    f"{ADD} SELECT OLD.department_id, 'co', -1 WHERE {OLD_PENDING}; "
    f"{ADD} SELECT NEW.department_id, 'co', 1 WHERE {NEW_PENDING}; END",
    f"CREATE TRIGGER queue_counts_co_delete AFTER DELETE ON co_handlings WHEN {OLD_PENDING} "
    f"BEGIN {ADD} VALUES (OLD.department_id, 'co', -1); END",
]

# In PL/pgSQL, OLD is NULL in an INSERT trigger and NEW in a DELETE trigger: the operation is
# tested first, in its own IF (AND does not promise to stop at a false operand).
POSTGRES_TRIGGERS = [
    "CREATE FUNCTION queue_counts_complaint() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'INSERT' THEN {ADD} VALUES (OLD.responsible_department_id, OLD.status, -1); "
    "END IF; "
    f"IF TG_OP <> 'DELETE' THEN {ADD} VALUES (NEW.responsible_department_id, NEW.status, 1); "
    "END IF; RETURN NULL; END $$",
    "CREATE TRIGGER queue_counts_complaints AFTER INSERT OR DELETE ON complaints "
    "FOR EACH ROW EXECUTE FUNCTION queue_counts_complaint()",
    "CREATE TRIGGER queue_counts_complaints_update "
    "AFTER UPDATE OF status, responsible_department_id ON complaints "
    f"FOR EACH ROW WHEN ({COMPLAINT_MOVED.format(op='DISTINCT FROM')}) "
    "EXECUTE FUNCTION queue_counts_complaint()",
    "CREATE FUNCTION queue_counts_co() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'INSERT' THEN IF {OLD_PENDING} THEN "
    f"{ADD} VALUES (OLD.department_id, 'co', -1); END IF; END IF; "
    f"IF TG_OP <> 'DELETE' THEN IF {NEW_PENDING} THEN "
    f"{ADD} VALUES (NEW.department_id, 'co', 1); END IF; END IF; RETURN NULL; END $$",
    "CREATE TRIGGER queue_counts_co AFTER INSERT OR DELETE ON co_handlings "
    "FOR EACH ROW EXECUTE FUNCTION queue_counts_co()",
    "CREATE TRIGGER queue_counts_co_update "
    "AFTER UPDATE OF replied_at, settled_at, department_id ON co_handlings "
    f"FOR EACH ROW WHEN ({CO_MOVED.format(op='DISTINCT FROM')}) "
    "EXECUTE FUNCTION queue_counts_co()",
]

BACKFILL = [
    f"{ADD} SELECT responsible_department_id, status, count(*) FROM complaints "
    "GROUP BY responsible_department_id, status",
    f"{ADD} SELECT department_id, 'co', count(*) FROM co_handlings "
    "WHERE replied_at IS NULL AND settled_at IS NULL GROUP BY department_id",
]


def upgrade() -> None:
    op.create_table(
        'queue_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('bucket', sa.String(length=10), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_queue_counts_office', 'queue_counts', ['office_id', 'bucket', 'n'])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in (POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS) + BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, trigger in (("complaints", "queue_counts_complaints"),
                               ("complaints", "queue_counts_complaints_update"),
                               ("co_handlings", "queue_counts_co"),
                               ("co_handlings", "queue_counts_co_update")):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS queue_counts_complaint()")
        op.execute("DROP FUNCTION IF EXISTS queue_counts_co()")
    else:
        for name in ("complaints_insert", "complaints_update", "complaints_delete",
                     "co_insert", "co_update", "co_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS queue_counts_{name}")
    op.drop_index('ix_queue_counts_office', table_name='queue_counts')
    op.drop_table('queue_counts')
