"""credit fulfilment: civil affairs' 履约评价 of the 信用承诺书, and complaint outcomes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 23:00:00.000000

The commitment's 履约情况 is judged by civil affairs and goes into the credit record (株洲
实施方案 (一)；昆政办〔2021〕70号 (十四)): a new table `fulfilment_assessments` holds those
judgements. Complaints get `outcome` (查实 / 部分查实 / 不属实 / 无法核实), required from now
on when a department answers; complaints answered before stay NULL: unknown, never counted as
substantiated. The institution's self-declared `credit_commitments.fulfilment` is kept as it
was (history) and no longer shown.

`complaints` carries triggers (migrations 0009, 0010): a plain ADD COLUMN, no batch copy.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'fulfilment_assessments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('assessed_on', sa.Date(), nullable=False),
        sa.Column('result', sa.String(length=20), nullable=False),
        sa.Column('basis', sa.Text(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("result IN ('kept', 'breach', 'serious_breach')",
                           name=op.f('ck_fulfilment_assessments_result_known')),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_fulfilment_assessments_department_id_departments')),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                                name=op.f('fk_fulfilment_assessments_institution_id_institutions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'],
                                name=op.f('fk_fulfilment_assessments_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fulfilment_assessments')),
    )
    op.create_index('ix_fulfilment_assessments_inst_on', 'fulfilment_assessments',
                    ['institution_id', 'assessed_on'])
    op.add_column('complaints', sa.Column('outcome', sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column('complaints', 'outcome')
    op.drop_index('ix_fulfilment_assessments_inst_on', table_name='fulfilment_assessments')
    op.drop_table('fulfilment_assessments')
