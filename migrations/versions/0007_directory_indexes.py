"""directory indexes: district (and kind) with the name order, so the directory never sorts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:20:00.000000

Measured at 400,000 institutions (bench/RESULTS.md): district + kind ordered by name sorted
≈12,000 rows per page view (25 ms); with these indexes it reads the page's rows in order.
The old (district_id, kind) index is a prefix of the new one and is dropped.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_institutions_district_kind_name', 'institutions',
                    ['district_id', 'kind', 'name'])
    op.create_index('ix_institutions_district_name', 'institutions', ['district_id', 'name'])
    op.drop_index('ix_institutions_district_kind', table_name='institutions')


def downgrade() -> None:
    op.create_index('ix_institutions_district_kind', 'institutions', ['district_id', 'kind'])
    op.drop_index('ix_institutions_district_name', table_name='institutions')
    op.drop_index('ix_institutions_district_kind_name', table_name='institutions')
