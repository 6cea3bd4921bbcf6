"""coordinates: institutions and streets get a WGS-84 latitude and longitude

Revision ID: 0030
Revises: 0027
Create Date: 2026-12-07 13:20:00.000000

"Near me" (issue 21): the directory sorts by distance from the browser's position or from a
chosen street's centroid (portal/institutions/rules/geo.py). Both columns are NULL until the
registry import or civil affairs sets them; the directory lists such institutions last.

`institutions` carries the page-version and directory-count triggers (0009, 0011) and `streets`
the reference-version triggers (0013): plain ADD COLUMN, no batch copy. A change of an
institution's coordinates raises its records_version through 0009's trigger (any UPDATE does);
a change of a street's, the reference version (0013), so the directory's cached streets follow.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0030'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("institutions", "streets")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column('latitude', sa.Float(), nullable=True))
        op.add_column(table, sa.Column('longitude', sa.Float(), nullable=True))


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place (no copy), so the triggers stay.
    for table in TABLES:
        op.drop_column(table, 'longitude')
        op.drop_column(table, 'latitude')
