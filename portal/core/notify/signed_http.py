"""The generic signed-HTTP SMS gateway: for a city whose SMS gateway is its own.

The request (PORTAL_SMS_SENDER=signed-http) is a POST of a JSON body to PORTAL_SMS_HTTP_URL:

    {"reference": "n42", "phone": "+8613812345678", "sign_name": "示范市民政局",
     "type": "complaint_received", "template": "1234567",
     "params": {"due_date": "…", "tracking_no": "…"}, "text": "【示范市民政局】您的投诉已受理…"}

serialised canonically (keys sorted, no spaces, UTF-8, non-ASCII as is), with the headers

    X-Portal-Key: PORTAL_SMS_HTTP_KEY_ID
    X-Portal-Timestamp: Unix seconds
    X-Portal-Signature: hex HMAC-SHA256(PORTAL_SMS_HTTP_SECRET, string to sign)

where the string to sign is `POST\\n{path}\\n{timestamp}\\n{hex SHA-256 of the body}` (`path`
is the URL's path). The gateway recomputes it (`verify`) and refuses a request whose timestamp
is more than five minutes off. It answers 2xx with `{"message_id": "…"}`; a 4xx other than
408/429 is final (the message is given up), anything else is retried. `reference` is the same
on every retry of one message, so the gateway can drop a repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from portal.core.notify.gateway import DeliveryError, SmsMessage
from portal.core.settings import NotifySettings

MAX_SKEW = 300


def canonical_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def string_to_sign(method: str, path: str, timestamp: str, body: bytes) -> str:
    return f"{method.upper()}\n{path or '/'}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}"


def sign(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    message = string_to_sign(method, path, timestamp, body).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(secret: str, method: str, path: str, timestamp: str, body: bytes, signature: str,
           now: float | None = None) -> bool:
    """A gateway's check of a request (the tests' fake gateway uses it)."""
    try:
        skew = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    expected = sign(secret, method, path, timestamp, body)
    return skew <= MAX_SKEW and hmac.compare_digest(expected, signature)


class SignedHttpGateway:
    name = "signed-http"
    needs_template = False  # the text goes along; a gateway may send it as is

    def __init__(self, config: NotifySettings) -> None:
        if not (config.http_url and config.http_secret):
            raise DeliveryError("PORTAL_SMS_HTTP_URL and PORTAL_SMS_HTTP_SECRET are required "
                                "for PORTAL_SMS_SENDER=signed-http", permanent=True)
        if urlsplit(config.http_url).scheme not in ("http", "https"):
            raise DeliveryError("PORTAL_SMS_HTTP_URL must be an http(s) URL", permanent=True)
        self.config = config

    def send_sms(self, message: SmsMessage) -> str:
        cfg = self.config
        body = canonical_body({
            "reference": message.reference, "phone": message.e164, "sign_name": cfg.sms_sign_name,
            "type": message.kind, "template": message.template_code, "params": message.params,
            "text": f"【{cfg.sms_sign_name}】{message.text}" if cfg.sms_sign_name else message.text,
        })
        timestamp = str(int(time.time()))
        # The scheme is http(s), checked in __init__.
        request = urllib.request.Request(cfg.http_url, data=body, method="POST", headers={  # noqa: S310
            "Content-Type": "application/json; charset=utf-8",
            "X-Portal-Key": cfg.http_key_id,
            "X-Portal-Timestamp": timestamp,
            "X-Portal-Signature": sign(cfg.http_secret, "POST", urlsplit(cfg.http_url).path,
                                       timestamp, body),
        })
        try:
            with urllib.request.urlopen(request, timeout=cfg.sms_timeout) as resp:  # noqa: S310
                answer = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            final = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise DeliveryError(f"HTTP {exc.code}: {exc.read()[:300].decode('utf-8', 'replace')}",
                                permanent=final) from None
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False) from None
        return str(answer.get("message_id", ""))
