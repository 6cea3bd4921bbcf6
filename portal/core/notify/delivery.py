"""SMS through a gateway: the daily cap, the provider call, the recorded outcome, retries.

`deliver_sms` runs inside the notification's outbox job (`send_notification`) in three steps,
none of which holds a writing transaction across the provider's answer (SQLite's write lock is
taken at a writing transaction's first statement, portal/core/db.py):

1. a short transaction of its own reserves the attempt: the `sms_deliveries` row is made
   (status queued), or the message is recorded as skipped when the phone already had
   PORTAL_SMS_DAILY_CAP messages today (local day), or nothing is done when it was settled;
2. the provider is called, outside any transaction;
3. the outcome is written in the outbox job's own transaction (which marks the job done):
   sent with the provider's message id; or failed with a retry recorded as a new outbox job
   due after the backoff (`backoff_seconds`); or given up after a final error or
   PORTAL_SMS_MAX_ATTEMPTS tries. The error is stored scrubbed of personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.core.db import session_scope, utcnow
from portal.core.notify.gateway import DeliveryError, SmsGateway, SmsMessage
from portal.core.notify.models import Notification, SmsDelivery
from portal.core.privacy import mask_phone, scrub
from portal.core.settings import Settings

log = logging.getLogger("portal.core.notify")

MAX_BACKOFF = 3600


def backoff_seconds(attempts: int, base: int) -> int:
    """Delay before the retry that follows `attempts` failed tries: base, 2·base, 4·base, …,
    at most an hour."""
    return min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def phone_key(secret: str, phone: str) -> str:
    """A keyed hash of a phone's digits: counts a phone's messages without storing it."""
    digits = "".join(ch for ch in phone if ch.isdigit())[-11:]
    return hmac.new(secret.encode(), b"sms-phone:" + digits.encode(), hashlib.sha256).hexdigest()


def local_day_start(now: datetime, settings: Settings) -> datetime:
    local = now.astimezone(settings.timezone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def over_cap(sent_today: int, cap: int) -> bool:
    return sent_today >= cap


def _reserve(note: Any, gateway: SmsGateway, settings: Settings, now: datetime) -> int | None:
    """Step 1: the delivery row's id to try now, or None when there is nothing to send."""
    cfg = settings.notify
    key = phone_key(settings.secret_key, note.recipient)
    with session_scope(settings.database_url) as db:
        row = db.scalar(select(SmsDelivery).where(SmsDelivery.notification_id == note.id))
        if row is not None:
            return row.id if row.status in ("queued", "failed") else None
        today = db.scalar(select(func.count()).select_from(SmsDelivery).where(
            SmsDelivery.phone_key == key, SmsDelivery.status != "skipped",
            SmsDelivery.created_at >= local_day_start(now, settings)))
        row = SmsDelivery(notification_id=note.id, kind=note.kind or "",
                          phone_masked=mask_phone(note.recipient), phone_key=key,
                          provider=gateway.name, template_code=cfg.template_code(note.kind or ""),
                          created_at=now, updated_at=now)
        if over_cap(today or 0, cfg.sms_daily_cap):
            row.status = "skipped"
            row.last_error = f"over the daily cap of {cfg.sms_daily_cap} messages per phone"
            db.add(row)
            db.execute(update(Notification).where(Notification.id == note.id)
                       .values(status="skipped"))
            log.warning("sms notification %s to %s skipped: daily cap of %d reached", note.id,
                        row.phone_masked, cfg.sms_daily_cap)
            return None
        db.add(row)
        db.flush()
        return row.id


def deliver_sms(session: Session, note: Any, gateway: SmsGateway, settings: Settings,
                retry: Any) -> str:
    """Send one SMS notification through `gateway`; returns the delivery's status (or
    "settled" when an earlier run settled it). `retry(session, notification_id, run_at)`
    records the retry job (the caller's task, so this module does not import it)."""
    now = utcnow()
    delivery_id = _reserve(note, gateway, settings, now)
    if delivery_id is None:
        return "settled"
    cfg = settings.notify
    masked = mask_phone(note.recipient)
    provider_id, error, final = "", "", False
    try:
        if gateway.needs_template and not note.kind:
            raise DeliveryError("a free-text message has no template to send", permanent=True)
        message = SmsMessage(reference=f"n{note.id}", phone=note.recipient, kind=note.kind or "",
                             template_code=cfg.template_code(note.kind or ""),
                             params=dict(note.params or {}), text=note.body)
        provider_id = gateway.send_sms(message)
    except DeliveryError as exc:
        error, final = scrub(str(exc), phones=[note.recipient])[:500], exc.permanent
    done = utcnow()
    attempts = session.scalar(select(SmsDelivery.attempts)
                              .where(SmsDelivery.id == delivery_id)) or 0
    attempts += 1
    values: dict[str, Any] = {"attempts": attempts, "updated_at": done, "last_error": error,
                              "next_attempt_at": None}
    if not error:
        status = "sent"
        values.update(provider_message_id=provider_id[:100], sent_at=done)
        note_values: dict[str, Any] = {"status": "sent", "sent_at": done}
        log.info("sms notification %s to %s sent by %s (attempt %d)", note.id, masked,
                 gateway.name, attempts)
    elif final or attempts >= cfg.sms_max_attempts:
        status, note_values = "given_up", {"status": "failed"}
        log.error("sms notification %s to %s given up after %d attempt(s): %s", note.id, masked,
                  attempts, error)
    else:
        status, note_values = "failed", {}
        run_at = done + timedelta(seconds=backoff_seconds(attempts, cfg.sms_retry_seconds))
        values["next_attempt_at"] = run_at
        retry(session, note.id, run_at)
        log.warning("sms notification %s to %s: attempt %d of %d failed, retried at %s: %s",
                    note.id, masked, attempts, cfg.sms_max_attempts, run_at.isoformat(), error)
    session.execute(update(SmsDelivery).where(SmsDelivery.id == delivery_id)
                    .values(status=status, **values))
    if note_values:
        session.execute(update(Notification).where(Notification.id == note.id)
                        .values(**note_values))
    return status
