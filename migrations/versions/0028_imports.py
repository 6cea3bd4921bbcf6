"""registry imports: every import with its report, the rows it wrote with their values before,
and the government records' own numbers

Revision ID: 0028
Revises: 0030
Create Date: 2026-12-07 13:20:00.000000

`imports` records each import (CLI and back office) and `import_changes` each row it wrote, so
an import can be listed and rolled back (portal/registry/). Grades, inspections and credit list
entries get `record_no` (评定证书编号, 检查文书编号, 列入决定文号), the key a government-records
import upserts by (penalties have their 决定书文号 already). Columns are added, not the tables
rebuilt: SQLite's batch mode would drop the records_version triggers of 0009.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0028'
down_revision: str | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERED = ('grades', 'inspections', 'credit_entries')


def upgrade() -> None:
    op.create_table(
        'imports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('mode', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=60), nullable=False),
        sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('started_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('finished_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_bad', sa.Integer(), nullable=False),
        sa.Column('added', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('unchanged', sa.Integer(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('rolled_back_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('rolled_back_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['parent_id'], ['imports.id'],
                                name=op.f('fk_imports_parent_id_imports')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_imports_user_id_users')),
        sa.ForeignKeyConstraint(['rolled_back_by_id'], ['users.id'],
                                name=op.f('fk_imports_rolled_back_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_imports')),
    )
    op.create_index('ix_imports_created_at', 'imports', ['created_at'])
    op.create_index(op.f('ix_imports_sha256'), 'imports', ['sha256'])
    op.create_table(
        'import_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('table_name', sa.String(length=40), nullable=False),
        sa.Column('row_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('label', sa.String(length=120), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['import_id'], ['imports.id'],
                                name=op.f('fk_import_changes_import_id_imports'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_changes')),
    )
    op.create_index(op.f('ix_import_changes_import_id'), 'import_changes', ['import_id'])
    op.create_index('ix_import_changes_row', 'import_changes', ['table_name', 'row_id'])
    for table in NUMBERED:
        op.add_column(table, sa.Column('record_no', sa.String(length=60), nullable=True))
        op.create_index(op.f(f'ix_{table}_record_no'), table, ['record_no'], unique=True)


def downgrade() -> None:
    for table in NUMBERED:
        op.drop_index(op.f(f'ix_{table}_record_no'), table_name=table)
        with op.batch_alter_table(table, recreate='never') as batch:
            batch.drop_column('record_no')
    op.drop_index('ix_import_changes_row', table_name='import_changes')
    op.drop_index(op.f('ix_import_changes_import_id'), table_name='import_changes')
    op.drop_table('import_changes')
    op.drop_index(op.f('ix_imports_sha256'), table_name='imports')
    op.drop_index('ix_imports_created_at', table_name='imports')
    op.drop_table('imports')
