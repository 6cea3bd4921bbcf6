"""institutions.name_pinyin: names sort in pinyin order, not by code point

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-07 13:30:00.000000

Issue 21 item 12: the directory sorted names by code point (幸 U+5E78 before 爱 U+7231). The
stored initials (name_initials) cannot order them either: 成都 (cd) would come before 长青 (cq),
and names with the same initials would fall back to code point. The new column holds the full
key (search/rules/pinyin.py: sort_key, "chang2 qing1 …"), filled here for the rows already
there (which bumps each records_version once: pages are redrawn, as after any edit); the
directory's (district, kind, name) indexes become (district, kind, name_pinyin).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from search.rules.pinyin import sort_key

revision: str = '0031'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    # add_column/drop_column only, never a batch copy: institutions carries triggers (0009).
    op.add_column('institutions', sa.Column('name_pinyin', sa.String(length=255),
                                            nullable=False, server_default=''))
    bind = op.get_bind()
    table = sa.table('institutions', sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('name_pinyin', sa.String))
    last = 0
    while True:
        rows = bind.execute(sa.select(table.c.id, table.c.name).where(table.c.id > last)
                            .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(table.update().where(table.c.id == sa.bindparam('row_id'))
                     .values(name_pinyin=sa.bindparam('key')),
                     [{'row_id': i, 'key': sort_key(name)} for i, name in rows])
        last = rows[-1][0]
    op.create_index('ix_institutions_name_pinyin', 'institutions', ['name_pinyin'])
    op.create_index('ix_institutions_district_kind_pinyin', 'institutions',
                    ['district_id', 'kind', 'name_pinyin'])
    op.create_index('ix_institutions_district_pinyin', 'institutions',
                    ['district_id', 'name_pinyin'])
    op.drop_index('ix_institutions_district_kind_name', table_name='institutions')
    op.drop_index('ix_institutions_district_name', table_name='institutions')


def downgrade() -> None:
    op.create_index('ix_institutions_district_kind_name', 'institutions',
                    ['district_id', 'kind', 'name'])
    op.create_index('ix_institutions_district_name', 'institutions', ['district_id', 'name'])
    op.drop_index('ix_institutions_district_pinyin', table_name='institutions')
    op.drop_index('ix_institutions_district_kind_pinyin', table_name='institutions')
    op.drop_index('ix_institutions_name_pinyin', table_name='institutions')
    op.drop_column('institutions', 'name_pinyin')
