"""Notifications: an outbox table of messages and the senders that deliver them.

A message is a type plus named parameters (`queue_message`; the types and their Chinese texts
are in `portal.core.notify.messages`). It is rendered once, when queued, into the row's subject
and body; a sender delivers it from the outbox job `send_notification`:

- e-mail through PORTAL_NOTIFICATION_SENDER: `log` (the development default) or
  `smtp:HOST[:PORT]` (TLS and login: `portal.core.notify.senders.SmtpSender`);
- SMS through PORTAL_SMS_SENDER: `log` (the default) writes it to the log; `tencent` (Tencent
  Cloud SMS) or `signed-http` (a city's own gateway) send the template code and parameters,
  with the outcome, retries and a per-phone daily cap recorded in `sms_deliveries`
  (`portal.core.notify.delivery`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from portal.core.db import core_rows, read_only, session_factory, utcnow
from portal.core.jobs import record_job, task
from portal.core.notify.delivery import deliver_sms
from portal.core.notify.gateway import SmsGateway
from portal.core.notify.messages import clean_params, message_type, render
from portal.core.notify.models import Notification, SmsDelivery
from portal.core.notify.senders import LogSender, Sender, SmtpSender, make_sender
from portal.core.settings import NotifySettings, get_settings

__all__ = [
    "LogSender", "Notification", "Sender", "SmsDelivery", "SmtpSender", "make_sender",
    "queue_message", "queue_notification", "send_notification",
]


def queue_notification(
    session: Session, channel: str, recipient: str, subject: str, body: str,
    *, kind: str = "", params: dict[str, str] | None = None,
) -> Notification:
    """Store a notification and its delivery job in the caller's transaction. Without `kind`
    it is a free text, which the log and SMTP deliver but a template-only SMS provider cannot:
    use `queue_message`."""
    note = Notification(channel=channel, recipient=recipient, subject=subject, body=body,
                        kind=kind, params=params)
    session.add(note)
    session.flush()
    record_job(session, send_notification, note.id)
    return note


def queue_message(session: Session, recipient: str, kind: str, **params: Any) -> Notification:
    """Queue a message of a type (`portal.core.notify.messages.MESSAGES`) to `recipient`; the
    parameters are checked against the type's text here, before anything is stored."""
    subject, body = render(kind, params)
    return queue_notification(session, message_type(kind).channel, recipient, subject, body,
                              kind=kind, params=clean_params(kind, params))


@task(in_session=True, batched=True)
def send_notification(session: Session, notification_id: int) -> None:
    """Deliver one notification unless it was already settled (marked sent in the outbox's
    transaction, which also marks the job done).

    The notification is read in a read-only transaction of its own, and the outbox's
    transaction starts only with the mark: on SQLite a writing transaction holds the one write
    lock from its first statement (`BEGIN IMMEDIATE`, portal/core/db.py), and holding it while
    an SMTP relay or SMS gateway answers (up to its timeout) kept every other writer waiting —
    complaint intake, and the job lease's heartbeat, so a live worker's claim lapsed. One worker
    runs a notification at a time: the outbox claim (`run_outbox_job`) sees to that. An SMS
    through a gateway goes through `deliver_sms` (same rule, plus its cap and retries)."""
    note = _unsent(notification_id)
    if note is None:
        return
    settings = get_settings()
    gateway = make_gateway(settings.notify) if note.channel == "sms" else None
    if gateway is not None:
        deliver_sms(session, note, gateway, settings, _retry)
        return
    make_sender(settings.notification_sender, settings.notify).send(note)
    session.connection().execute(_SENT, {"note_id": notification_id, "at": utcnow()})


def make_gateway(config: NotifySettings) -> SmsGateway | None:
    """The gateway of PORTAL_SMS_SENDER; None for `log` (SMS written to the log). Imported
    when used: the web processes, which only queue, never load a provider's SDK."""
    if config.sms_sender == "tencent":
        from portal.core.notify.tencent import TencentSmsGateway

        return TencentSmsGateway(config)
    if config.sms_sender == "signed-http":
        from portal.core.notify.signed_http import SignedHttpGateway

        return SignedHttpGateway(config)
    return None


def _retry(session: Session, notification_id: int, run_at: datetime) -> None:
    record_job(session, send_notification, notification_id, run_at=run_at)


def _unsent(notification_id: int) -> Any:
    # Plain rows, not ORM objects: one per complaint through the worker (bench/RESULTS.md,
    # sixth pass). The senders read the same attributes from either.
    with session_factory(get_settings().database_url)() as reader:
        read_only(reader)
        note = core_rows(reader, _NOTE, {"note_id": notification_id})[0]
    return None if note.status != "queued" else note


_NOTE = select(*Notification.__table__.c).where(Notification.id == bindparam("note_id"))
_SENT = (update(cast(Table, Notification.__table__)).where(Notification.id == bindparam("note_id"))
         .values(status="sent", sent_at=bindparam("at")))
