"""streets: the 统计用区划代码 where the city has one

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 13:10:00.000000

`portal import districts` keeps a street's or town's code (9 or 12 digits) when the city's file
gives one. A nullable column added in place: `streets` keeps its triggers (migration 0013), so
no batch copy on SQLite; the downgrade drops it with ALTER TABLE DROP COLUMN (SQLite ≥ 3.35).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('streets', sa.Column('code', sa.String(length=12), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE streets DROP COLUMN code")
