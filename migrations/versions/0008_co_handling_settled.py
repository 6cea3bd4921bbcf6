"""co-handling settled: requests of answered complaints stop being pending, with a partial index

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:40:00.000000

Measured at 2,000,000 complaints (bench/RESULTS.md): an office that co-handles many categories
had 75,000 unreplied requests, nearly all of long-answered complaints, and every queue view
counted through them (115 ms). Requests of complaints already answered or closed are settled
here; the lifecycle keeps the column from now on (answered: settled; reopened: pending again).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "replied_at IS NULL AND settled_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table('co_handlings') as batch:
        batch.add_column(sa.Column('settled_at', portal.core.db.UTCDateTime(timezone=True),
                                   nullable=True))
    op.execute(
        "UPDATE co_handlings SET settled_at = (SELECT coalesce(c.answered_at, c.closed_at, "
        "c.received_at) FROM complaints c WHERE c.id = co_handlings.complaint_id) "
        "WHERE replied_at IS NULL AND complaint_id IN (SELECT id FROM complaints "
        "WHERE status NOT IN ('assigned', 'signed', 'returned'))"
    )
    op.create_index('ix_co_handlings_pending', 'co_handlings', ['department_id', 'complaint_id'],
                    sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))


def downgrade() -> None:
    op.drop_index('ix_co_handlings_pending', table_name='co_handlings')
    with op.batch_alter_table('co_handlings') as batch:
        batch.drop_column('settled_at')
