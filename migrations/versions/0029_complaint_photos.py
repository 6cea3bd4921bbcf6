"""complaint_photos: up to three re-encoded photos with a complaint

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 13:20:00.000000

Photos sent with the public form (issue 21), re-encoded without metadata
(complaints/rules/photos.py) and kept in the database beside their complaint
(complaints/models.py: ComplaintPhoto says why). A new table: no existing row changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'complaint_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                                name=op.f('fk_complaint_photos_complaint_id_complaints')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_photos')),
        sa.UniqueConstraint('complaint_id', 'position',
                            name=op.f('uq_complaint_photos_complaint_id')),
    )
    op.create_index(op.f('ix_complaint_photos_complaint_id'), 'complaint_photos', ['complaint_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_complaint_photos_complaint_id'), table_name='complaint_photos')
    op.drop_table('complaint_photos')
