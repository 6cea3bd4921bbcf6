"""SMS through a real provider SDK and a city's signed-HTTP gateway, against a local fake of
the provider's HTTP API that checks each request's signature (tests/fake_sms.py): the template
code and parameters sent, the delivery recorded, retries with backoff through the outbox,
final errors given up, and the per-phone daily cap. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.db import utcnow
from portal.core.jobs import OutboxJob, run_outbox_job
from portal.core.notify import Notification, SmsDelivery, queue_message, queue_notification
from portal.core.settings import reset_settings

import fake_sms

PHONE = "13812345678"


@pytest.fixture
def fake():
    server = fake_sms.start_fake()
    yield server
    server.server.shutdown()
    server.server.server_close()


def configure(monkeypatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    reset_settings()


@pytest.fixture
def tencent(env, fake, monkeypatch):
    configure(monkeypatch, PORTAL_SMS_SENDER="tencent",
              PORTAL_TENCENT_SMS_ENDPOINT=fake.url,
              PORTAL_TENCENT_SMS_SECRET_ID=fake_sms.SECRET_ID,
              PORTAL_TENCENT_SMS_SECRET_KEY=fake_sms.SECRET_KEY,
              PORTAL_TENCENT_SMS_APP_ID=fake_sms.APP_ID,
              PORTAL_SMS_SIGN_NAME="示范市民政局",
              PORTAL_SMS_TEMPLATE_COMPLAINT_RECEIVED="1001",
              PORTAL_SMS_TEMPLATE_FEEDBACK_CODE="1002")
    yield fake
    reset_settings()


@pytest.fixture
def gateway(env, fake, monkeypatch):
    configure(monkeypatch, PORTAL_SMS_SENDER="signed-http",
              PORTAL_SMS_HTTP_URL=fake.url + fake_sms.HTTP_PATH,
              PORTAL_SMS_HTTP_KEY_ID=fake_sms.HTTP_KEY_ID,
              PORTAL_SMS_HTTP_SECRET=fake_sms.HTTP_SECRET,
              PORTAL_SMS_SIGN_NAME="示范市民政局",
              PORTAL_SMS_TEMPLATE_COMPLAINT_RECEIVED="GW-7")
    yield fake
    reset_settings()


def received(db, phone: str = PHONE, no: str = "TS20261207-0001") -> Notification:
    note = queue_message(db, phone, "complaint_received", tracking_no=no,
                         due_date="2026年12月14日")
    db.commit()
    return note


def run_pending(db) -> list[OutboxJob]:
    """Run every pending outbox row now, as the worker would (a retry's run_at included)."""
    ids = db.scalars(select(OutboxJob.id).where(OutboxJob.status == "pending")
                     .order_by(OutboxJob.id)).all()
    db.rollback()
    for outbox_id in ids:
        run_outbox_job(outbox_id)
    db.expire_all()
    return db.scalars(select(OutboxJob).where(OutboxJob.status == "pending")).all()


def delivery(db, note: Notification) -> SmsDelivery:
    db.expire_all()
    return db.scalars(select(SmsDelivery).where(SmsDelivery.notification_id == note.id)).one()


def test_the_sdk_sends_the_template_code_and_parameters_and_the_delivery_is_recorded(db, tencent):
    note = received(db)
    assert run_pending(db) == []
    [request] = tencent.requests
    assert tencent.refused == []
    assert request["action"] == "SendSms"
    assert request["PhoneNumberSet"] == ["+8613812345678"]
    assert request["TemplateId"] == "1001"
    assert request["TemplateParamSet"] == ["TS20261207-0001", "2026年12月14日"]
    assert request["SignName"] == "示范市民政局" and request["SmsSdkAppId"] == fake_sms.APP_ID
    assert request["SessionContext"] == f"n{note.id}"
    sent = delivery(db, note)
    assert (sent.status, sent.attempts, sent.provider, sent.template_code) == \
        ("sent", 1, "tencent", "1001")
    assert sent.provider_message_id.startswith("2433:") and sent.sent_at is not None
    assert sent.phone_masked == "138****5678" and PHONE not in sent.phone_key
    assert db.get(Notification, note.id).status == "sent"


def test_a_request_signed_with_the_wrong_secret_is_refused_and_given_up(db, tencent, monkeypatch):
    configure(monkeypatch, PORTAL_TENCENT_SMS_SECRET_KEY="not-the-secret")
    note = received(db)
    assert run_pending(db) == []  # a refused signature is final: no retry
    assert tencent.refused == ["AuthFailure.SignatureFailure"] and tencent.requests == []
    failed = delivery(db, note)
    assert failed.status == "given_up" and failed.attempts == 1
    assert failed.last_error.startswith("AuthFailure.SignatureFailure")
    assert db.get(Notification, note.id).status == "failed"


def test_provider_trouble_is_retried_with_backoff_until_sent(db, tencent):
    tencent.plan.extend(["InternalError.Timeout", "http500"])
    note = received(db)
    before = utcnow()
    [retry] = run_pending(db)
    first = delivery(db, note)
    assert (first.status, first.attempts) == ("failed", 1)
    assert "InternalError.Timeout" in first.last_error
    assert retry.func == "portal.core.notify:send_notification" and retry.args == [note.id]
    assert before + timedelta(seconds=60) <= retry.run_at <= utcnow() + timedelta(seconds=60)
    assert first.next_attempt_at == retry.run_at
    assert db.get(Notification, note.id).status == "queued"
    before = utcnow()
    [retry] = run_pending(db)
    assert delivery(db, note).attempts == 2
    assert retry.run_at >= before + timedelta(seconds=120)  # doubled
    assert run_pending(db) == []
    done = delivery(db, note)
    assert (done.status, done.attempts, done.last_error) == ("sent", 3, "")
    assert len(tencent.requests) == 3
    assert db.get(Notification, note.id).status == "sent"


def test_it_gives_up_after_the_last_attempt(db, tencent, monkeypatch):
    configure(monkeypatch, PORTAL_SMS_MAX_ATTEMPTS="2")
    tencent.plan.extend(["RequestLimitExceeded", "InternalError"])
    note = received(db)
    assert len(run_pending(db)) == 1
    assert run_pending(db) == []
    assert (delivery(db, note).status, delivery(db, note).attempts) == ("given_up", 2)
    assert db.get(Notification, note.id).status == "failed"


def test_a_final_provider_error_is_not_retried_and_the_error_is_scrubbed(db, tencent):
    tencent.plan.append("InvalidParameterValue.IncorrectPhoneNumber")
    note = received(db)
    assert run_pending(db) == []
    failed = delivery(db, note)
    assert failed.status == "given_up" and PHONE not in failed.last_error


def test_a_type_without_a_template_code_is_given_up_unsent(db, tencent):
    note = queue_message(db, PHONE, "complaint_answered_plain", tracking_no="T9")
    free = queue_notification(db, "sms", PHONE, "提醒", "自由文本")
    db.commit()
    assert run_pending(db) == []
    assert tencent.requests == []
    assert "PORTAL_SMS_TEMPLATE_COMPLAINT_ANSWERED_PLAIN" in delivery(db, note).last_error
    assert delivery(db, free).status == "given_up"


def test_over_the_daily_cap_a_message_is_skipped_not_sent(db, tencent, monkeypatch):
    configure(monkeypatch, PORTAL_SMS_DAILY_CAP="2")
    notes = [received(db, no=f"T{n}") for n in range(3)]
    other = received(db, phone="13900001111", no="T9")
    assert run_pending(db) == []
    assert [delivery(db, n).status for n in notes] == ["sent", "sent", "skipped"]
    assert db.get(Notification, notes[2].id).status == "skipped"
    assert delivery(db, other).status == "sent"
    assert len(tencent.requests) == 3
    assert "daily cap" in delivery(db, notes[2]).last_error


def test_the_cap_counts_the_local_day_only(db, tencent, monkeypatch):
    configure(monkeypatch, PORTAL_SMS_DAILY_CAP="1")
    old = received(db, no="T0")
    run_pending(db)
    yesterday = utcnow() - timedelta(days=1, hours=1)
    db.execute(SmsDelivery.__table__.update().where(SmsDelivery.notification_id == old.id)
               .values(created_at=yesterday))
    db.commit()
    note = received(db, no="T1")
    run_pending(db)
    assert delivery(db, note).status == "sent"


def test_the_signed_http_gateway_gets_the_text_and_parameters_signed(db, gateway):
    note = received(db)
    assert run_pending(db) == []
    assert gateway.refused == []
    [body] = gateway.requests
    assert body["phone"] == "+8613812345678" and body["template"] == "GW-7"
    assert body["type"] == "complaint_received" and body["reference"] == f"n{note.id}"
    assert body["params"] == {"tracking_no": "TS20261207-0001", "due_date": "2026年12月14日"}
    assert body["text"].startswith("【示范市民政局】您的投诉已受理，编号 TS20261207-0001")
    sent = delivery(db, note)
    assert sent.status == "sent" and sent.provider_message_id.startswith("gw-")


def test_the_signed_http_gateway_refuses_a_wrong_secret_and_retries_a_503(db, gateway, monkeypatch):
    gateway.plan.append("http503")
    note = received(db)
    assert len(run_pending(db)) == 1
    assert delivery(db, note).status == "failed"
    configure(monkeypatch, PORTAL_SMS_HTTP_SECRET="wrong")
    assert run_pending(db) == []
    assert gateway.refused == ["bad signature"]
    assert delivery(db, note).status == "given_up"


def test_the_log_sender_stays_the_default_and_records_no_delivery(db, fake, caplog):
    note = received(db)
    with caplog.at_level("INFO", logger="portal.core.notify"):
        assert run_pending(db) == []
    assert db.get(Notification, note.id).status == "sent"
    assert db.scalars(select(SmsDelivery)).all() == [] and fake.requests == []
    assert "138****5678" in caplog.text and PHONE not in caplog.text
    assert (note.kind, note.params) == ("complaint_received",
                                        {"tracking_no": "TS20261207-0001",
                                         "due_date": "2026年12月14日"})
