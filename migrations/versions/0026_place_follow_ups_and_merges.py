"""unregistered places' follow-ups (已登记 / 已取缔 / 已转介) and merged institution records

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 13:20:00.000000

Issue 20, the registry lifecycle: a place operating without registration or filing (an
`institutions` row with `discovered_on`, added by civil affairs or found by an inspection) is
followed to 已登记 (converted into a registered or filed institution: the same row), 已取缔 or
已转介. Each step is a row here; the newest is the place's state. The page does not show these
rows (a conversion changes the institution's own row, whose trigger raises its version).

`institution_merges`: a duplicate record merged into another (its row is deleted) keeps its id
here with the institution it lives on in, so its old page address leads there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "place_follow_ups"
MERGES = "institution_merges"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=12), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("outcome IN ('registered', 'banned', 'referred')",
                           name=op.f('ck_place_follow_ups_outcome_known')),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                                name=op.f('fk_place_follow_ups_institution_id_institutions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_place_follow_ups_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_place_follow_ups')),
    )
    op.create_index('ix_place_follow_ups_inst', TABLE, ['institution_id', 'decided_on'],
                    unique=False)
    op.create_table(
        MERGES,
        sa.Column('merged_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('merged_on', sa.Date(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                                name=op.f('fk_institution_merges_institution_id_institutions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_institution_merges_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('merged_id', name=op.f('pk_institution_merges')),
    )
    op.create_index(op.f('ix_institution_merges_institution_id'), MERGES, ['institution_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_institution_merges_institution_id'), table_name=MERGES)
    op.drop_table(MERGES)
    op.drop_index('ix_place_follow_ups_inst', table_name=TABLE)
    op.drop_table(TABLE)
