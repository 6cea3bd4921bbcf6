"""service resources: fire-safety approval (消防审验) as a status with document number and date

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 23:00:00.000000

The free text of `service_resources.fire_approval` was read by a word filter, so "无消防手续" or
"办理中" counted as passed. Three columns are added (add_column only: the table carries the
page-version triggers of migration 0009, which a batch copy would lose) and the existing text
is read once into a status, by the word lists of portal/institutions/rules/fire_approval.py (copied
here: a migration must not change when that module does):
- 无需 / 不需 / 不涉及 → not_required;
- 未通过 / 没有通过 / 不通过 / 不合格 / 未取得 / 没有 / 无消防 / 未办理, or just 无 / 否 / 暂无 → failed;
- 办理中 / 申请中 / 审核中 / 审查中 / 正在办理 / 在办 → in_progress;
- 通过 / 合格 / 已办理 / 已备案 / 已取得 / 已验收 → passed;
- anything else, and empty text → NULL (not disclosed; the page shows the text it had).
The text itself stays in `fire_approval` as the note: nothing published is overwritten. Rows
mapped to passed have no document number or date (they were never asked for).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# In order: the first match wins (words of refusal before words of success: 未通过 ⊃ 通过).
WORDS = (
    ("not_required", ("无需", "不需", "不涉及")),
    ("failed", ("未通过", "没有通过", "不通过", "不合格", "未取得", "没有", "无消防", "未办理")),
    ("in_progress", ("办理中", "申请中", "审核中", "审查中", "正在办理", "在办")),
    ("passed", ("通过", "合格", "已办理", "已备案", "已取得", "已验收")),
)
WHOLE_FAILED = ("无", "否", "暂无")


def _mapping_sql() -> tuple[str, dict[str, str]]:
    params: dict[str, str] = {}
    whens = []
    text = "TRIM(fire_approval)"
    names = []
    for n, word in enumerate(WHOLE_FAILED):
        params[f"w{n}"] = word
        names.append(f":w{n}")
    whens.append(f"WHEN {text} IN ({', '.join(names)}) THEN 'failed'")
    for status, words in WORDS:
        likes = []
        for word in words:
            key = f"p{len(params)}"
            params[key] = f"%{word}%"
            likes.append(f"fire_approval LIKE :{key}")
        whens.append(f"WHEN {' OR '.join(likes)} THEN '{status}'")
    sql = (f"UPDATE service_resources SET fire_approval_status = CASE {' '.join(whens)} END "
           f"WHERE {text} <> ''")
    return sql, params


def upgrade() -> None:
    op.add_column('service_resources',
                  sa.Column('fire_approval_status', sa.String(length=20), nullable=True))
    op.add_column('service_resources',
                  sa.Column('fire_approval_doc_no', sa.String(length=60), nullable=False,
                            server_default=''))
    op.add_column('service_resources',
                  sa.Column('fire_approval_date', sa.Date(), nullable=True))
    sql, params = _mapping_sql()
    op.get_bind().execute(sa.text(sql), params)


def downgrade() -> None:
    # SQLite (≥ 3.35) and PostgreSQL drop a column in place; no table is rebuilt.
    op.drop_column('service_resources', 'fire_approval_date')
    op.drop_column('service_resources', 'fire_approval_doc_no')
    op.drop_column('service_resources', 'fire_approval_status')
