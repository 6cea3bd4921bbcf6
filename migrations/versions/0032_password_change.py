"""users.must_change_password: an account given a password by someone else changes it first

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 16:40:00.000000

Issue 20 (going live): staff accounts are imported with a random initial password printed once
(`portal import staff`), and an administrator creates accounts, or resets a forgotten password,
by choosing one. Whoever knows such a password besides its owner could sign in as them: the
account must change it at its next sign-in before it reaches any staff page
(portal/core/endpoints.py). Existing accounts keep the passwords they have (false).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column('users', sa.Column('password_changed_at', sa.DateTime(timezone=True),
                                     nullable=True))


def downgrade() -> None:
    # drop_column, not a batch copy: on SQLite a copy drops `users`, which others refer to.
    op.drop_column('users', 'password_changed_at')
    op.drop_column('users', 'must_change_password')
