"""complaints: a per-complaint limit on tracking guesses and a one-time feedback code

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 00:00:00.000000

Issue 18, item 2: tracking by number + 4 phone digits was limited per address only, so guesses
from many addresses found a secret. Five columns are added to `complaints` (add_column only: the
table carries the queue-count triggers of migration 0010, which a batch copy would lose):
- `track_failures`, `track_locked_until`: wrong secrets in a row and the time the lookup by
  number is refused until (complaints/services/tracking.py);
- `feedback_code_hash`, `feedback_code_expires_at`, `feedback_code_attempts`: the one-time SMS
  code that lets a lookup by number + secret give feedback (stored as an HMAC, never the code).
Existing rows get 0 failures, no lock and no code; their tracking numbers stay valid.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('complaints', sa.Column('track_failures', sa.Integer(), nullable=False,
                                          server_default=sa.text('0')))
    op.add_column('complaints', sa.Column('track_locked_until', portal.core.db.UTCDateTime(timezone=True),
                                          nullable=True))
    op.add_column('complaints', sa.Column('feedback_code_hash', sa.String(length=64),
                                          nullable=False, server_default=''))
    op.add_column('complaints', sa.Column('feedback_code_expires_at',
                                          portal.core.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('complaints', sa.Column('feedback_code_attempts', sa.Integer(), nullable=False,
                                          server_default=sa.text('0')))


def downgrade() -> None:
    # drop_column on SQLite without batch mode (SQLite ≥ 3.35 drops a plain column in place).
    for name in ('feedback_code_attempts', 'feedback_code_expires_at', 'feedback_code_hash',
                 'track_locked_until', 'track_failures'):
        op.drop_column('complaints', name)
