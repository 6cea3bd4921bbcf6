"""stats snapshots: a closed month's statistics stored once, so history stays stable

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 11:40:00.000000

A migration must not break the code version before it: add first, remove in a later release.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stats_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('computed_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_snapshots')),
    sa.UniqueConstraint('kind', 'period', name=op.f('uq_stats_snapshots_kind'))
    )


def downgrade() -> None:
    op.drop_table('stats_snapshots')
