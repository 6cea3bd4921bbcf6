"""record corrections and withdrawals: a history table and `corrected_at` on inspections/penalties

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 23:30:00.000000

Government records are reviewable and correctable with a history (issue 18 item 5): a new table
`record_revisions` keeps each inspection's or penalty's version before a correction (更正) and
the whole row of a withdrawn (撤销) one, which leaves its table. `inspections.corrected_at` and
`penalties.corrected_at` say when the live row was last corrected; existing rows stay NULL
(never corrected).

Both tables carry the page-version triggers of migration 0009: a plain ADD COLUMN, no batch copy.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'record_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_type', sa.String(length=20), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('before', sa.JSON(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('correct', 'withdraw')",
                           name=op.f('ck_record_revisions_action_known')),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'],
                                name=op.f('fk_record_revisions_actor_id_users')),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_record_revisions_department_id_departments')),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                                name=op.f('fk_record_revisions_institution_id_institutions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_record_revisions')),
    )
    op.create_index('ix_record_revisions_inst_at', 'record_revisions', ['institution_id', 'at'])
    op.create_index('ix_record_revisions_record', 'record_revisions',
                    ['record_type', 'record_id'])
    op.add_column('inspections', sa.Column('corrected_at', portal.core.db.UTCDateTime(timezone=True),
                                           nullable=True))
    op.add_column('penalties', sa.Column('corrected_at', portal.core.db.UTCDateTime(timezone=True),
                                         nullable=True))


def downgrade() -> None:
    op.drop_column('penalties', 'corrected_at')
    op.drop_column('inspections', 'corrected_at')
    op.drop_index('ix_record_revisions_record', table_name='record_revisions')
    op.drop_index('ix_record_revisions_inst_at', table_name='record_revisions')
    op.drop_table('record_revisions')
