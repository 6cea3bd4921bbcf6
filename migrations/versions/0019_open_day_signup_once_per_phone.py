"""open-day sign-ups: one per phone per event, confirmed by an SMS code

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 23:10:00.000000

Adds the SMS-code columns (confirmed_at, code_hash, code_expires_at, code_attempts), why a
sign-up was cancelled (cancel_reason) and the posting browser's key (browser_key) to
`open_day_signups`, and a partial unique index (open_day_id, phone) over the sign-ups holding
seats (status 'confirmed').

Existing rows: every sign-up was confirmed under the old flow, so confirmed_at = created_at.
Duplicates (the same phone holding seats twice for one event) would break the unique index:
the earliest (lowest id) is kept; each later one is cancelled (cancelled_at = the migration's
time, cancel_reason 'duplicate') and its seats are given back to the event. Only ADD COLUMN,
UPDATE and CREATE INDEX: no table is rebuilt.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status = 'confirmed'"


def upgrade() -> None:
    op.add_column('open_day_signups', sa.Column('confirmed_at', portal.core.db.UTCDateTime(),
                                                nullable=True))
    op.add_column('open_day_signups', sa.Column('code_hash', sa.String(length=64),
                                                nullable=True))
    op.add_column('open_day_signups', sa.Column('code_expires_at', portal.core.db.UTCDateTime(),
                                                nullable=True))
    op.add_column('open_day_signups', sa.Column('code_attempts', sa.Integer(),
                                                server_default='0', nullable=False))
    op.add_column('open_day_signups', sa.Column('cancel_reason', sa.String(length=20),
                                                nullable=True))
    op.add_column('open_day_signups', sa.Column('browser_key', sa.String(length=40),
                                                nullable=True))
    op.execute("UPDATE open_day_signups SET confirmed_at = created_at")
    now = datetime.now(UTC)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":  # UTCDateTime stores naive UTC on SQLite
        now = now.replace(tzinfo=None)
    later = (
        "SELECT id FROM open_day_signups AS s WHERE s.status = 'confirmed' AND EXISTS ("
        " SELECT 1 FROM open_day_signups AS e WHERE e.open_day_id = s.open_day_id"
        " AND e.phone = s.phone AND e.status = 'confirmed' AND e.id < s.id)"
    )
    duplicates = [row[0] for row in bind.execute(sa.text(later))]
    for signup_id in duplicates:
        # One at a time: the seats go back to the event in the same step as the status.
        party, open_day_id = bind.execute(sa.text(
            "SELECT party_size, open_day_id FROM open_day_signups WHERE id = :id"),
            {"id": signup_id}).one()
        bind.execute(sa.text(
            "UPDATE open_day_signups SET status = 'cancelled', cancelled_at = :now,"
            " cancel_reason = 'duplicate' WHERE id = :id"), {"id": signup_id, "now": now})
        bind.execute(sa.text(
            "UPDATE open_days SET seats_taken = CASE WHEN seats_taken >= :n"
            " THEN seats_taken - :n ELSE 0 END WHERE id = :event"),
            {"n": party, "event": open_day_id})
    op.create_index('uq_open_day_signups_event_phone', 'open_day_signups',
                    ['open_day_id', 'phone'], unique=True,
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
    op.create_index('ix_open_day_signups_phone_created', 'open_day_signups',
                    ['phone', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_open_day_signups_phone_created', table_name='open_day_signups')
    op.drop_index('uq_open_day_signups_event_phone', table_name='open_day_signups')
    # Pending sign-ups were never confirmed: the old flow had no such state, so they go.
    op.execute("UPDATE open_days SET seats_taken = seats_taken - COALESCE((SELECT"
               " SUM(s.party_size) FROM open_day_signups AS s WHERE s.open_day_id = open_days.id"
               " AND s.status = 'confirmed' AND s.confirmed_at IS NULL), 0)")
    op.execute("DELETE FROM open_day_signups WHERE status = 'confirmed'"
               " AND confirmed_at IS NULL")
    for column in ('browser_key', 'cancel_reason', 'code_attempts', 'code_expires_at',
                   'code_hash', 'confirmed_at'):
        op.drop_column('open_day_signups', column)
