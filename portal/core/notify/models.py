"""The notification outbox (`notifications`) and the SMS delivery record (`sms_deliveries`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import Base, UTCDateTime, utcnow


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms | email
    recipient: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # queued | sent; through an SMS gateway also failed (given up) | skipped (daily cap).
    status: Mapped[str] = mapped_column(String(10), default="queued")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The message type and its parameters (portal/core/notify/messages.py); "" for a free text
    # (rows before migration 0023), which a template-only SMS provider cannot send.
    kind: Mapped[str] = mapped_column(String(40), default="", server_default="")
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SmsDelivery(Base):
    """One SMS through a gateway: its outcome at the provider. The phone is kept masked, with
    a keyed hash to count a phone's messages per day; the full number stays only on the
    notification, which the sender needs."""

    __tablename__ = "sms_deliveries"
    __table_args__ = (Index("ix_sms_deliveries_phone_created", "phone_key", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(40), default="")
    phone_masked: Mapped[str] = mapped_column(String(20))
    phone_key: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(20))
    template_code: Mapped[str] = mapped_column(String(40), default="")
    provider_message_id: Mapped[str] = mapped_column(String(100), default="")
    # queued (being tried) → sent; failed (a retry is due at next_attempt_at) → …;
    # given_up (final error or attempts spent); skipped (over the phone's daily cap, never sent).
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")  # scrubbed of personal data
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
