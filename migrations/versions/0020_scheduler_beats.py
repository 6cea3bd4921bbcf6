"""scheduler_beats: the recurring-job scheduler's last tick

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 23:30:00.000000

`portal cron` records each tick in one row (`portal/core/health.py`), so /healthz and the operations
page show a scheduler that died or hangs — from the database, which they read even while Redis
is down (issue 18 item 4). A new table: no existing row changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'scheduler_beats',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('beat_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('redis', sa.String(length=20), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('scheduler_beats')
