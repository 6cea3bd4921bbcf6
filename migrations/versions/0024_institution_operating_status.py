"""institution operating status over time: the current status, its history with 安置 plans, and
the directory counts by status

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 08:00:00.000000

Issue 20, the registry lifecycle: 筹建 / 运营 / 暂停服务 / 终止（注销）.
- `institutions.operating_status` (server default 'operating'): every existing institution is
  operating, as the portal has shown it so far. A plain ADD COLUMN: `institutions` carries the
  triggers of migrations 0009 and 0011, which a batch copy would lose.
- `institution_status_changes`: each change with its date, reason, recorder and 安置 plan and
  progress. The public page shows it, so it gets the page-version triggers of migration 0009
  (`page_version_institution_status_changes*`): its rows raise `institutions.records_version`.
- `directory_counts.operating_status` (server default 'operating', which every existing count
  row is) and the directory-count triggers of 0011 written again with it in their key, so a
  closed institution leaves the default directory's trigger-kept totals in the same transaction.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY = "institution_status_changes"
BUMP = "UPDATE institutions SET records_version = records_version + 1"


def _page_version_triggers(postgres: bool) -> list[str]:
    """Migration 0009's child-table triggers on the history table (its function on PostgreSQL)."""
    if postgres:
        return [f"CREATE TRIGGER page_version_{HISTORY} AFTER INSERT OR UPDATE OR DELETE ON "
                f"{HISTORY} FOR EACH ROW EXECUTE FUNCTION page_version_child()"]
    return [
        f"CREATE TRIGGER page_version_{HISTORY}_insert AFTER INSERT ON {HISTORY} BEGIN "
        f"{BUMP} WHERE id = NEW.institution_id; END",
        f"CREATE TRIGGER page_version_{HISTORY}_update AFTER UPDATE ON {HISTORY} BEGIN "
        f"{BUMP} WHERE id IN (OLD.institution_id, NEW.institution_id); END",
        f"CREATE TRIGGER page_version_{HISTORY}_delete AFTER DELETE ON {HISTORY} BEGIN "
        f"{BUMP} WHERE id = OLD.institution_id; END",
    ]


# --- directory counts (migration 0011's triggers, with or without the status in the key) -------

def _key_columns(status: bool) -> list[str]:
    return ["district_id", "street_id", "kind", "nature", "filing_status", "vacant",
            *(["operating_status"] if status else [])]


def _add(status: bool) -> str:
    return f"INSERT INTO directory_counts ({', '.join(_key_columns(status))}, n)"


def _values(row: str, n: int, status: bool) -> str:
    extra = f"{row}.operating_status, " if status else ""
    return (f"({row}.district_id, coalesce({row}.street_id, 0), {row}.kind, {row}.nature, "
            f"{row}.filing_status, {row}.beds_vacant > 0, {extra}{n})")


def _watched(status: bool) -> str:
    return ", ".join(["district_id", "street_id", "kind", "nature", "filing_status",
                      "beds_vacant", *(["operating_status"] if status else [])])


def _moved(op_: str, status: bool) -> str:
    plain = ["district_id", "kind", "nature", "filing_status",
             *(["operating_status"] if status else [])]
    return " OR ".join(
        [f"NEW.{c} IS {op_} OLD.{c}" for c in plain]
        + [f"coalesce(NEW.street_id, 0) IS {op_} coalesce(OLD.street_id, 0)",
           f"(NEW.beds_vacant > 0) IS {op_} (OLD.beds_vacant > 0)"])


def _sqlite_counts(status: bool) -> list[str]:
    add = _add(status)
    return [
        "CREATE TRIGGER directory_counts_insert AFTER INSERT ON institutions BEGIN "
        f"{add} VALUES {_values('NEW', 1, status)}; END",
        f"CREATE TRIGGER directory_counts_update AFTER UPDATE OF {_watched(status)} ON "
        f"institutions WHEN {_moved('NOT', status)} BEGIN "
        f"{add} VALUES {_values('OLD', -1, status)}, {_values('NEW', 1, status)}; END",
        "CREATE TRIGGER directory_counts_delete AFTER DELETE ON institutions BEGIN "
        f"{add} VALUES {_values('OLD', -1, status)}; END",
    ]


def _postgres_counts(status: bool) -> list[str]:
    add = _add(status)
    return [
        "CREATE OR REPLACE FUNCTION directory_counts() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF TG_OP <> 'INSERT' THEN {add} VALUES {_values('OLD', -1, status)}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {add} VALUES {_values('NEW', 1, status)}; END IF; "
        "RETURN NULL; END $$",
        f"CREATE TRIGGER directory_counts_update AFTER UPDATE OF {_watched(status)} ON "
        f"institutions FOR EACH ROW WHEN ({_moved('DISTINCT FROM', status)}) "
        "EXECUTE FUNCTION directory_counts()",
    ]


def _drop_counts(postgres: bool) -> list[str]:
    if postgres:  # the INSERT OR DELETE trigger stays: CREATE OR REPLACE changes its function
        return ["DROP TRIGGER IF EXISTS directory_counts_update ON institutions"]
    return [f"DROP TRIGGER IF EXISTS directory_counts_{name}"
            for name in ("insert", "update", "delete")]


def _counts(postgres: bool, status: bool) -> list[str]:
    return _drop_counts(postgres) + (
        _postgres_counts(status) if postgres else _sqlite_counts(status))


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column('institutions', sa.Column('operating_status', sa.String(length=20),
                                            nullable=False, server_default='operating'))
    op.create_table(
        HISTORY,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('previous_status', sa.String(length=20), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('elders_to_resettle', sa.Integer(), nullable=True),
        sa.Column('resettle_to', sa.String(length=200), nullable=False),
        sa.Column('resettle_by', sa.Date(), nullable=True),
        sa.Column('resettled_count', sa.Integer(), nullable=False),
        sa.Column('resettled_on', sa.Date(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('progress_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint('resettled_count >= 0',
                           name=op.f('ck_institution_status_changes_resettled_not_negative')),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                                name=op.f('fk_institution_status_changes_institution_id_institutions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_institution_status_changes_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_institution_status_changes')),
    )
    op.create_index('ix_institution_status_changes_inst', HISTORY,
                    ['institution_id', 'effective_on'])
    op.add_column('directory_counts', sa.Column('operating_status', sa.String(length=20),
                                                nullable=False, server_default='operating'))
    for statement in _page_version_triggers(postgres) + _counts(postgres, status=True):
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # Closed institutions count again, as they did before: fold the status out of the key.
    for statement in _counts(postgres, status=False):
        op.execute(statement)
    op.execute("UPDATE directory_counts SET operating_status = 'operating'")
    op.drop_column('directory_counts', 'operating_status')
    if postgres:
        op.execute(f"DROP TRIGGER IF EXISTS page_version_{HISTORY} ON {HISTORY}")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS page_version_{HISTORY}_{name}")
    op.drop_index('ix_institution_status_changes_inst', table_name=HISTORY)
    op.drop_table(HISTORY)
    op.drop_column('institutions', 'operating_status')
