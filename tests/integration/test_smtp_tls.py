"""The SMTP sender's TLS and login against a local relay: aiosmtpd with a throwaway self-signed
certificate (made by Debian's openssl), requiring STARTTLS or speaking implicit TLS, and
requiring AUTH over TLS with a test user."""

from __future__ import annotations

import smtplib
import ssl
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from portal.core.notify.senders import SmtpSender
from portal.core.settings import NotifySettings

from servers import free_port

USER, PASSWORD = "portal-mailer", "relay-pass-123"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("smtp-tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class Inbox:
    def __init__(self) -> None:
        self.messages: list[SimpleNamespace] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(SimpleNamespace(
            mail_from=envelope.mail_from, rcpt=list(envelope.rcpt_tos),
            data=envelope.content.decode("utf-8", "replace"),
            tls=server.transport.get_extra_info("ssl_object") is not None,
            authenticated=session.authenticated))
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


def relay(certificate, *, implicit: bool):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    options = dict(authenticator=authenticate, auth_require_tls=True)
    if implicit:
        # aiosmtpd counts only a STARTTLS upgrade as TLS for auth_require_tls; this whole
        # connection is TLS (the test checks the session's ssl).
        options["auth_require_tls"] = False
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(),
                                ssl_context=context, **options)
    else:
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(),
                                tls_context=context, require_starttls=True, **options)
    controller.start()
    return controller, inbox


def mail(subject: str = "账号已开通") -> SimpleNamespace:
    return SimpleNamespace(id=1, channel="email", recipient="staff@example.org",
                           subject=subject, body="您的账号已开通。")


def config(certificate, security: str, **extra) -> NotifySettings:
    return NotifySettings(smtp_security=security, smtp_user=USER, smtp_password=PASSWORD,
                          smtp_from="portal@example.org", smtp_ca_file=str(certificate[0]),
                          **extra)


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "ssl"])
def test_mail_goes_over_tls_with_login(certificate, implicit):
    controller, inbox = relay(certificate, implicit=implicit)
    try:
        SmtpSender("127.0.0.1", controller.port,
                   config(certificate, "ssl" if implicit else "starttls")).send(mail())
    finally:
        controller.stop()
    [got] = inbox.messages
    assert got.tls and got.authenticated and got.rcpt == ["staff@example.org"] and got.mail_from == "portal@example.org"
    assert "Subject: =?utf-8?b?" in got.data  # the Chinese subject, encoded


def test_a_wrong_password_is_refused(certificate):
    controller, inbox = relay(certificate, implicit=False)
    try:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            SmtpSender("127.0.0.1", controller.port,
                       NotifySettings(smtp_security="starttls", smtp_user=USER,
                                      smtp_password="wrong",
                                      smtp_ca_file=str(certificate[0]))).send(mail())
    finally:
        controller.stop()
    assert inbox.messages == []


def test_the_relay_certificate_is_verified(certificate):
    """Without the test CA the self-signed relay is not trusted: no password is sent to it."""
    controller, inbox = relay(certificate, implicit=False)
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            SmtpSender("127.0.0.1", controller.port,
                       NotifySettings(smtp_security="starttls", smtp_user=USER,
                                      smtp_password=PASSWORD)).send(mail())
    finally:
        controller.stop()
    assert inbox.messages == []


def test_a_login_without_tls_is_refused_before_connecting():
    with pytest.raises(smtplib.SMTPException, match="in clear"):
        SmtpSender("127.0.0.1", free_port(),
                   NotifySettings(smtp_user=USER, smtp_password=PASSWORD)).send(mail())


def test_plain_relay_default_port_and_security_ports():
    assert SmtpSender("relay").port == 25
    assert SmtpSender("relay", config=NotifySettings(smtp_security="starttls")).port == 587
    assert SmtpSender("relay", config=NotifySettings(smtp_security="ssl")).port == 465
