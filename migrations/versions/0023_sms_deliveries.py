"""notifications as message types; the SMS delivery record

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 08:00:00.000000

Issue 20 (notifications for real): a notification carries its message type and parameters
(portal/core/notify/messages.py), which an SMS provider's approved template needs; and
`sms_deliveries` records each SMS sent through a gateway (status, attempts, provider id,
scrubbed error, the masked phone and a keyed hash of it for the daily cap). Existing
notifications keep their text and get kind '' (a free text) and no parameters. Downgrade drops
the table and the two columns.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('notifications', sa.Column('kind', sa.String(length=40), nullable=False,
                                             server_default=''))
    op.add_column('notifications', sa.Column('params', sa.JSON(), nullable=True))
    op.create_table(
        'sms_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('phone_masked', sa.String(length=20), nullable=False),
        sa.Column('phone_key', sa.String(length=64), nullable=False),
        sa.Column('provider', sa.String(length=20), nullable=False),
        sa.Column('template_code', sa.String(length=40), nullable=False),
        sa.Column('provider_message_id', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('next_attempt_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                                name=op.f('fk_sms_deliveries_notification_id_notifications'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_deliveries')),
        sa.UniqueConstraint('notification_id', name=op.f('uq_sms_deliveries_notification_id')),
    )
    op.create_index('ix_sms_deliveries_phone_created', 'sms_deliveries',
                    ['phone_key', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_sms_deliveries_phone_created', table_name='sms_deliveries')
    op.drop_table('sms_deliveries')
    op.drop_column('notifications', 'params')
    op.drop_column('notifications', 'kind')
