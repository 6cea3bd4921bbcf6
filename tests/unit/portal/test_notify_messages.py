"""Message types, their rendering and parameter order, the SMS retry backoff and daily cap, the
phone's E.164 form, and the signatures: the generic gateway's HMAC and Tencent's TC3 as the
official SDK makes it, checked by the tests' fake provider."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import sms_client

from portal.core.notify.delivery import backoff_seconds, over_cap, phone_key
from portal.core.notify.gateway import DeliveryError, SmsMessage
from portal.core.notify.messages import (
    MESSAGES,
    UnknownMessage,
    clean_params,
    positional,
    render,
)
from portal.core.notify.signed_http import canonical_body, sign, string_to_sign, verify
from portal.core.notify.tencent import transient

import fake_sms


def test_a_message_renders_the_chinese_text_with_its_parameters():
    subject, body = render("complaint_received", {"tracking_no": "TS20261207-0001",
                                                  "due_date": "2026年12月14日"})
    assert subject == "投诉已受理"
    assert body == ("您的投诉已受理，编号 TS20261207-0001，承办部门将于 2026年12月14日 前答复。"
                    "查询请凭编号和手机后四位。")
    subject, _ = render("openday_reminder", {"institution": "颐养院", "title": "冬至开放日",
                                             "when": "12月21日 09:30", "place": "一楼大厅"})
    assert subject == "开放日提醒：冬至开放日"


def test_positional_parameters_follow_the_text_order_not_the_call_order():
    params = {"link": "https://x/t", "minutes": 15, "party_size": 2, "title": "开放日",
              "institution": "颐养院", "code": "123456"}
    assert positional("openday_code", params) == ["123456", "颐养院", "开放日", "2", "15",
                                                  "https://x/t"]
    assert MESSAGES["feedback_code"].params == ("tracking_no", "code", "minutes")


def test_missing_or_unknown_parameters_and_types_are_refused():
    with pytest.raises(UnknownMessage, match="missing"):
        clean_params("feedback_code", {"tracking_no": "T1", "code": "1"})
    with pytest.raises(UnknownMessage, match="unknown"):
        clean_params("complaint_answered_plain", {"tracking_no": "T1", "extra": "x"})
    with pytest.raises(UnknownMessage):
        render("no_such_type", {})


def test_every_type_renders_and_every_sms_type_has_parameters():
    for kind, msg in MESSAGES.items():
        names = set(msg.params) | {n for n in ("title", "city") if "{" + n + "}" in msg.subject}
        subject, body = render(kind, {name: f"<{name}>" for name in names})
        assert "{" not in subject + body and subject and body
        assert msg.channel in ("sms", "email")


def test_backoff_doubles_and_stops_at_an_hour():
    assert [backoff_seconds(n, 60) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff_seconds(10, 60) == 3600


def test_the_cap_counts_messages_already_sent_today():
    assert not over_cap(9, 10)
    assert over_cap(10, 10)


def test_the_phone_key_is_keyed_and_ignores_the_written_form():
    assert phone_key("k", "138 1234 5678") == phone_key("k", "+86 13812345678")
    assert phone_key("k", "13812345678") != phone_key("other", "13812345678")
    assert "13812345678" not in phone_key("k", "13812345678")


def test_an_sms_goes_to_mainland_mobiles_only():
    message = SmsMessage("n1", "+86 138-1234-5678", "k", "", {}, "")
    assert message.e164 == "+8613812345678"
    with pytest.raises(DeliveryError) as err:
        _ = SmsMessage("n1", "0871-65123456", "k", "", {}, "").e164
    assert err.value.permanent


def test_tencent_errors_worth_retrying():
    assert transient("InternalError.Timeout") and transient("RequestLimitExceeded")
    assert transient("ClientNetworkError")
    assert not transient("FailedOperation.TemplateIncorrectOrUnapproved")
    assert not transient("AuthFailure.SignatureFailure")


def test_the_gateway_signature_is_hmac_sha256_over_method_path_timestamp_and_body_hash():
    body = canonical_body({"b": "养老", "a": 1})
    assert body == '{"a":1,"b":"养老"}'.encode()
    digest = hashlib.sha256(body).hexdigest()
    assert string_to_sign("post", "/sms/send", "1700000000", body) == \
        f"POST\n/sms/send\n1700000000\n{digest}"
    signature = sign("s3cret", "POST", "/sms/send", "1700000000", body)
    assert verify("s3cret", "POST", "/sms/send", "1700000000", body, signature, now=1700000100)
    assert not verify("other", "POST", "/sms/send", "1700000000", body, signature,
                      now=1700000100)
    assert not verify("s3cret", "POST", "/sms/send", "1700000000", body + b" ", signature,
                      now=1700000100)
    assert not verify("s3cret", "POST", "/sms/send", "1700000000", body, signature,
                      now=1700000000 + 301)  # too old: a replay


def test_the_fake_checks_the_sdk_tc3_signature_and_refuses_a_wrong_secret_or_a_changed_body():
    """The fake provider's own TC3 (written from Tencent's documentation) agrees with the
    official SDK's, and refuses a request signed with another secret or altered after signing."""
    client = sms_client.SmsClient(credential.Credential(fake_sms.SECRET_ID, fake_sms.SECRET_KEY),
                                  "ap-guangzhou",
                                  ClientProfile(httpProfile=HttpProfile(endpoint="127.0.0.1:9")))
    captured = {}

    class Capture:
        def send_request(self, req):
            captured.update(headers=dict(req.header), body=req.data)
            raise RuntimeError("not sent")

    client.request = Capture()
    with pytest.raises(Exception, match="not sent"):
        client.call("SendSms", {"PhoneNumberSet": ["+8613812345678"], "TemplateId": "1"})
    headers, body = captured["headers"], captured["body"].encode()
    now = int(headers["X-TC-Timestamp"])
    assert fake_sms.tc3_refusal(headers, body, now) == ""
    assert fake_sms.tc3_refusal(headers, body.replace(b"1", b"2"), now) == \
        "AuthFailure.SignatureFailure"
    other = sms_client.SmsClient(credential.Credential(fake_sms.SECRET_ID, "wrong-secret"),
                                 "ap-guangzhou",
                                 ClientProfile(httpProfile=HttpProfile(endpoint="127.0.0.1:9")))
    other.request = Capture()
    with pytest.raises(Exception, match="not sent"):
        other.call("SendSms", {"PhoneNumberSet": ["+8613812345678"], "TemplateId": "1"})
    assert fake_sms.tc3_refusal(captured["headers"], captured["body"].encode(),
                                int(captured["headers"]["X-TC-Timestamp"])) == \
        "AuthFailure.SignatureFailure"
    assert fake_sms.tc3_refusal(headers, body, now + 301) == "AuthFailure.SignatureExpire"
    assert json.loads(body)["TemplateId"] == "1"
    assert time.time() - now < 3600


def test_sms_settings_are_read_and_a_bad_sender_stops_start_up(monkeypatch):
    from portal.core.settings import SettingError, load_settings

    monkeypatch.setenv("PORTAL_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PORTAL_SMS_TEMPLATE_COMPLAINT_RECEIVED", " 1001 ")
    monkeypatch.setenv("PORTAL_SMS_DAILY_CAP", "3")
    notify = load_settings().notify
    assert notify.sms_sender == "log" and notify.smtp_security == "none"  # the defaults
    assert notify.template_code("complaint_received") == "1001"
    assert notify.template_code("feedback_code") == "" and notify.sms_daily_cap == 3
    monkeypatch.setenv("PORTAL_SMS_SENDER", "pigeon")
    with pytest.raises(SettingError, match="PORTAL_SMS_SENDER"):
        load_settings()
    monkeypatch.setenv("PORTAL_SMS_SENDER", "tencent")
    monkeypatch.setenv("PORTAL_SMTP_SECURITY", "tls13")
    with pytest.raises(SettingError, match="PORTAL_SMTP_SECURITY"):
        load_settings()


def test_the_portal_queues_only_typed_messages():
    """Free text cannot go through a template-only provider: outside the notify package every
    message is queued by type (`queue_message`)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    callers = [path.relative_to(root).as_posix()
               for package in ("portal", "complaints", "search")
               for path in (root / package).rglob("*.py")
               if "queue_notification(" in path.read_text(encoding="utf-8")
               and "portal/core/notify" not in path.as_posix()]
    assert callers == []
