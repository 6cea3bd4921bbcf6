"""A local fake of Tencent Cloud SMS's HTTP API (SendSms 2021-01-11) and of a city's
signed-HTTP gateway, for the SMS tests: a threaded http.server on a free port that CHECKS each
request's signature with a test secret (TC3-HMAC-SHA256, recomputed here from Tencent's
documentation without the SDK's code; the portal's own scheme for the generic gateway, also
recomputed here) and refuses a bad one as the real service does. What it answers next is
scripted (`plan`); every accepted request is kept (`requests`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET_ID = "AKIDtest0000000000000000000000000000"
SECRET_KEY = "test-tencent-secret-key-00000000"
APP_ID = "1400000001"
HTTP_KEY_ID = "city-gw"
HTTP_SECRET = "test-gateway-secret-0000000000000"
HTTP_PATH = "/sms/send"


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def tc3_signature(secret_key: str, method: str, host: str, content_type: str, body: bytes,
                  timestamp: int, service: str = "sms") -> str:
    """TC3-HMAC-SHA256 as Tencent Cloud documents it (签名方法 v3), for a POST to `/`."""
    canonical = "\n".join([method, "/", "", f"content-type:{content_type}\nhost:{host}\n",
                           "content-type;host", hashlib.sha256(body).hexdigest()])
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def tc3_refusal(headers: Any, body: bytes, now: float) -> str:
    """Why a request's TC3 signature is refused; "" when it is right."""
    auth = headers.get("Authorization", "")
    try:
        algorithm, rest = auth.split(" ", 1)
        parts = dict(p.strip().split("=", 1) for p in rest.split(","))
        secret_id, date, service, terminator = parts["Credential"].split("/")
        timestamp = int(headers.get("X-TC-Timestamp", ""))
    except (ValueError, KeyError):
        return "AuthFailure.InvalidAuthorization"
    if algorithm != "TC3-HMAC-SHA256" or terminator != "tc3_request" or service != "sms":
        return "AuthFailure.InvalidAuthorization"
    if secret_id != SECRET_ID:
        return "AuthFailure.SecretIdNotFound"
    if abs(now - timestamp) > 300:
        return "AuthFailure.SignatureExpire"
    if parts.get("SignedHeaders") != "content-type;host":
        return "AuthFailure.InvalidAuthorization"
    expected = tc3_signature(SECRET_KEY, "POST", headers.get("Host", ""),
                             headers.get("Content-Type", ""), body, timestamp)
    if date != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") or \
            not hmac.compare_digest(expected, parts.get("Signature", "")):
        return "AuthFailure.SignatureFailure"
    return ""


def gateway_refusal(headers: Any, body: bytes, now: float) -> str:
    """The generic gateway's check (README, portal/core/notify/signed_http.py)."""
    timestamp = headers.get("X-Portal-Timestamp", "")
    if headers.get("X-Portal-Key") != HTTP_KEY_ID or not timestamp.isdigit():
        return "unknown key"
    if abs(now - int(timestamp)) > 300:
        return "expired"
    to_sign = f"POST\n{HTTP_PATH}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}"
    expected = hmac.new(HTTP_SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get("X-Portal-Signature", "")):
        return "bad signature"
    return ""


@dataclass
class FakeSms:
    server: ThreadingHTTPServer
    # Outcomes of the next requests, in order ("ok" when empty): "ok", "http500", or an error
    # code, answered as a Response.Error (InternalError…, RequestLimitExceeded) or as the
    # number's SendStatus code (FailedOperation…, LimitExceeded…).
    plan: deque[str] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def _handler(fake: FakeSms) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            now = time.time()
            if self.path == HTTP_PATH:
                return self._gateway(body, now)
            request_id = str(uuid.uuid4())
            refusal = tc3_refusal(self.headers, body, now)
            if refusal:
                fake.refused.append(refusal)
                return self._answer(200, {"Response": {"Error": {
                    "Code": refusal, "Message": "signature check failed"},
                    "RequestId": request_id}})
            params = json.loads(body)
            fake.requests.append({"action": self.headers.get("X-TC-Action"), **params})
            outcome = fake.plan.popleft() if fake.plan else "ok"
            if outcome == "http500":
                return self._answer(500, {"message": "upstream trouble"})
            if outcome.startswith(("InternalError", "RequestLimitExceeded")):
                return self._answer(200, {"Response": {"Error": {
                    "Code": outcome, "Message": "try later"}, "RequestId": request_id}})
            statuses = [{"SerialNo": f"2433:{uuid.uuid4().hex[:12]}", "PhoneNumber": phone,
                         "Fee": 1, "SessionContext": params.get("SessionContext", ""),
                         "Code": "Ok" if outcome == "ok" else outcome,
                         "Message": "send success" if outcome == "ok" else "refused",
                         "IsoCode": "CN"} for phone in params.get("PhoneNumberSet", [])]
            return self._answer(200, {"Response": {"SendStatusSet": statuses,
                                                   "RequestId": request_id}})

        def _gateway(self, body: bytes, now: float) -> None:
            refusal = gateway_refusal(self.headers, body, now)
            if refusal:
                fake.refused.append(refusal)
                return self._answer(401, {"error": refusal})
            fake.requests.append(json.loads(body))
            outcome = fake.plan.popleft() if fake.plan else "ok"
            if outcome != "ok":
                return self._answer(int(outcome.removeprefix("http")), {"error": outcome})
            return self._answer(200, {"message_id": "gw-" + uuid.uuid4().hex[:10]})

    return Handler


def start_fake() -> FakeSms:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeSms(server)
    server.RequestHandlerClass = _handler(fake)
    threading.Thread(target=server.serve_forever, name="fake-sms", daemon=True).start()
    return fake
