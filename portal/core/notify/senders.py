"""Senders of rendered notifications: the log (development default) and SMTP for e-mail.

SMS through a provider goes through a gateway instead (`portal.core.notify.gateways`): it
sends a template code and parameters, not the text these senders deliver.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any, Protocol

from portal.core.logfilters import BEARER_LINK, REDACTED
from portal.core.privacy import mask_phone, scrub
from portal.core.settings import NotifySettings

log = logging.getLogger("portal.core.notify")


class Sender(Protocol):
    """Delivers a notification: a `Notification` or a row of its columns (the worker reads
    plain rows)."""

    def send(self, notification: Any) -> None: ...


class LogSender:
    """Default sender (development and the demo): writes the message to the log instead of
    delivering it — the recipient masked, the text with personal data scrubbed and bearer
    links' tokens cut, so a demo user reads a verification code (open-day sign-up, feedback on
    a complaint) in `portal dev`'s output. Not a production sender."""

    def send(self, notification: Any) -> None:
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
    """Deliver e-mail through an SMTP relay (PORTAL_NOTIFICATION_SENDER=smtp:HOST[:PORT]).

    PORTAL_SMTP_SECURITY: `none` (a relay on the same host or network), `starttls` (upgrade
    the connection, usually port 587; the upgrade is required, never skipped when the relay
    does not offer it), `ssl` (implicit TLS, usually port 465). The relay's certificate is
    verified (against PORTAL_SMTP_CA_FILE when set). With PORTAL_SMTP_USER it logs in — only
    over TLS, so a password never crosses the network in clear."""

    def __init__(self, host: str, port: int | None = None,
                 config: NotifySettings | None = None) -> None:
        self.config = config or NotifySettings()
        default_port = {"ssl": 465, "starttls": 587}.get(self.config.smtp_security, 25)
        self.host, self.port = host, port or default_port
        self.sender = self.config.smtp_from

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.smtp_ca_file or None)

    def send(self, notification: Any) -> None:
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
        cfg = self.config
        if cfg.smtp_user and cfg.smtp_security == "none":
            raise smtplib.SMTPException("PORTAL_SMTP_USER is set but PORTAL_SMTP_SECURITY is "
                                        "none: refusing to send the password in clear")
        smtp: smtplib.SMTP
        if cfg.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=10, context=self._tls())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=10)
        with smtp:
            if cfg.smtp_security == "starttls":
                smtp.starttls(context=self._tls())  # raises when the relay offers no STARTTLS
            if cfg.smtp_user:
                smtp.login(cfg.smtp_user, cfg.smtp_password)
            smtp.send_message(msg)


def make_sender(name: str, config: NotifySettings | None = None) -> Sender:
    """The sender of PORTAL_NOTIFICATION_SENDER: `log` or `smtp:HOST[:PORT]`."""
    if name.startswith("smtp:"):
        host, _, port = name[5:].partition(":")
        return SmtpSender(host, int(port) if port else None, config)
    return LogSender()
