"""street offices: departments.street_id and routing_rules.street_level

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 07:30:00.000000

Streets/towns (乡镇、街道) become a level of office below the district (issue 20, "Street tier";
seed 000 苏州 三(一), seed 001 (十八): 镇（街道）日常巡查、投诉举报受理). A street office is a
department row with `street_id` set and `district_id` NULL: the table's unique
(type_code, district_id) cannot be dropped on SQLite without rebuilding the table, which would
lose its triggers (0009, 0012), and NULL district ids never collide in it. Street offices are
unique by (type_code, street_id). `routing_rules.street_level` says the city sends a category
to the street office of its responsible type where there is one.

Columns added only (no batch mode); existing rows: every department keeps street_id NULL (city
and district offices as before), every rule street_level false (routing as before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with a REFERENCES clause in place; Alembic would ask for batch
        # mode (a table copy that loses the triggers), so the statement is written out.
        op.execute("ALTER TABLE departments ADD COLUMN street_id INTEGER "
                   "CONSTRAINT fk_departments_street_id_streets REFERENCES streets (id)")
    else:
        op.add_column('departments', sa.Column(
            'street_id', sa.Integer(),
            sa.ForeignKey('streets.id', name='fk_departments_street_id_streets'),
            nullable=True))
    op.create_index('ix_departments_type_code_street_id', 'departments',
                    ['type_code', 'street_id'], unique=True)
    op.add_column('routing_rules', sa.Column('street_level', sa.Boolean(), nullable=False,
                                             server_default=sa.false()))


def downgrade() -> None:
    # Street offices that complaints name would be left without their street: reassign their
    # complaints and delete the offices before downgrading. SQLite drops the columns in place
    # (ALTER TABLE DROP COLUMN keeps the triggers).
    op.drop_column('routing_rules', 'street_level')
    op.drop_index('ix_departments_type_code_street_id', table_name='departments')
    op.drop_column('departments', 'street_id')
