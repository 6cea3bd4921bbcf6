"""Notifications (SMS/e-mail stand-ins): an outbox table and pluggable senders."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import String, Text, bindparam, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.core.db import Base, UTCDateTime, core_rows, read_only, session_factory, utcnow
from portal.core.jobs import record_job, task
from portal.core.logfilters import BEARER_LINK, REDACTED
from portal.core.privacy import mask_phone, scrub
from portal.core.settings import get_settings

log = logging.getLogger(__name__)


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms | email
    recipient: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued | sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Sender(Protocol):
    """Delivers a notification: a `Notification` or a row of its columns (the worker reads
    plain rows)."""

    def send(self, notification: Notification) -> None: ...


class LogSender:
    """Default sender (development and the demo): writes the message to the log instead of
    delivering it — the recipient masked, the text with personal data scrubbed and bearer
    links' tokens cut, so a demo user reads a verification code (open-day sign-up, feedback on
    a complaint) in `portal dev`'s output. Not a production sender."""

    def send(self, notification: Notification) -> None:
        recipient = (
            mask_phone(notification.recipient)
            if notification.channel == "sms"
            else notification.recipient.split("@")[-1]
        )
        body = BEARER_LINK.sub(lambda m: m.group(1) + REDACTED,
                               scrub(notification.body, phones=[notification.recipient]))
        log.info("notification %s to %s: %s | %s", notification.id, recipient,
                 notification.subject, " ".join(body.split()))


class SmtpSender:
    """Deliver e-mail through an SMTP relay named by PORTAL_SMTP_HOST[:port]."""

    def __init__(self, host: str, port: int = 25, sender: str = "noreply@localhost") -> None:
        self.host, self.port, self.sender = host, port, sender

    def send(self, notification: Notification) -> None:
        if notification.channel != "email":
            LogSender().send(notification)
            return
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = (
            self.sender,
            notification.recipient,
            notification.subject,
        )
        msg.set_content(notification.body)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(msg)


def make_sender(name: str) -> Sender:
    if name.startswith("smtp:"):
        host, _, port = name[5:].partition(":")
        return SmtpSender(host, int(port or 25))
    return LogSender()


def queue_notification(
    session: Session, channel: str, recipient: str, subject: str, body: str
) -> Notification:
    """Store a notification and its delivery job in the caller's transaction."""
    note = Notification(channel=channel, recipient=recipient, subject=subject, body=body)
    session.add(note)
    session.flush()
    record_job(session, send_notification, note.id)
    return note


@task(in_session=True, batched=True)
def send_notification(session: Session, notification_id: int) -> None:
    """Deliver one notification unless it was already sent (marked sent in the outbox's
    transaction, which also marks the job done).

    The notification is read in a read-only transaction of its own, and the outbox's
    transaction starts only with the mark: on SQLite a writing transaction holds the one write
    lock from its first statement (`BEGIN IMMEDIATE`, portal/core/db.py), and holding it while
    an SMTP relay or SMS gateway answers (up to its timeout) kept every other writer waiting —
    complaint intake, and the job lease's heartbeat, so a live worker's claim lapsed. One worker
    runs a notification at a time: the outbox claim (`run_outbox_job`) sees to that."""
    note = _unsent(notification_id)
    if note is None:
        return
    make_sender(get_settings().notification_sender).send(note)
    session.connection().execute(_SENT, {"note_id": notification_id, "at": utcnow()})


def _unsent(notification_id: int):
    # Plain rows, not ORM objects: one per complaint through the worker (bench/RESULTS.md,
    # sixth pass). The senders read the same attributes from either.
    with session_factory(get_settings().database_url)() as reader:
        read_only(reader)
        note = core_rows(reader, _NOTE, {"note_id": notification_id})[0]
    return None if note.status == "sent" else note


_NOTE = select(*Notification.__table__.c).where(Notification.id == bindparam("note_id"))
_SENT = (update(Notification.__table__).where(Notification.id == bindparam("note_id"))
         .values(status="sent", sent_at=bindparam("at")))
