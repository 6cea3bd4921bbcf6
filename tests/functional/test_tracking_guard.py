"""Tracking by number + secret: guesses limited per complaint in the database, the complainant
told, and feedback only with the full link or a one-time SMS code (issue 18, item 2)."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select, update

from complaints.models import Complaint, ComplaintEvent
from complaints.rules.intake import ComplaintInput
from complaints.services.filing import build_services
from complaints.services.tracking import MAX_FAILURES, TrackingService
from complaints.views.tracking import NOT_FOUND
from portal.accounts.rules.roles import Role
from portal.core.db import session_factory, utcnow
from portal.core.notify import Notification
from portal.core.settings import get_settings

from factories import department, district, institution, user
from support import csrf_token

PHONE = "13511112222"
ANSWER = "经核查属实，已增加夜班护理员并加强巡查。"


def answered(db, *, phone: str = PHONE, anonymous: bool = False) -> Complaint:
    d = district(db, name="滨江区")
    office = department(db, "civil_affairs", d)
    department(db, "civil_affairs")
    inst = institution(db, district_=d, name="滨江和乐养老院")
    handler = user(db, Role.DEPARTMENT, department_id=office.id)
    db.commit()
    intake, handling = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="phone", category_code="service_quality", institution_id=inst.id,
        description="晚上没人巡房，老人摔倒后很久才被发现", complainant_phone=phone,
        anonymous=anonymous))
    handling.answer(handler, complaint, ANSWER, "substantiated")
    db.commit()
    return complaint


def lookup(client, number: str, secret: str):
    return client.post("/complaints/track", follow_redirects=False, data={
        "csrf_token": csrf_token(client, "/complaints/track"),
        "tracking_no": number, "secret": secret})


def sms(db, subject: str) -> list[Notification]:
    db.expire_all()
    return db.scalars(select(Notification).where(Notification.subject == subject)
                      .order_by(Notification.id)).all()


def post(client, path: str, **data):
    return client.post(path, follow_redirects=False,
                       data={"csrf_token": csrf_token(client, "/complaints/track"), **data})


def test_wrong_secrets_lock_the_lookup_and_the_complainant_is_told_once(client, db):
    complaint = answered(db)
    wrong = [lookup(client, complaint.tracking_no, f"{n:04d}") for n in range(MAX_FAILURES)]
    assert [r.status_code for r in wrong] == [400] * MAX_FAILURES
    # Locked: even the right secret is refused, with the very message of a wrong one.
    for _ in range(3):
        refused = lookup(client, complaint.tracking_no, PHONE[-4:])
        assert refused.status_code == 400 and NOT_FOUND in refused.text
    unknown = lookup(client, "2026120799999999", "1234")
    assert unknown.status_code == 400 and NOT_FOUND in unknown.text

    told = sms(db, "投诉查询多次验证失败")
    assert len(told) == 1 and told[0].recipient == PHONE
    assert complaint.tracking_no in told[0].body and get_settings().hotline in told[0].body
    row = db.get(Complaint, complaint.id)
    assert row.track_failures == MAX_FAILURES  # guesses while locked are not counted
    assert row.track_locked_until > utcnow() + timedelta(hours=23)
    event = db.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == "tracking_locked")).one()
    assert event.public is False

    # After the lock the right secret works again and clears the count.
    db.execute(update(Complaint).where(Complaint.id == complaint.id)
               .values(track_locked_until=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert lookup(client, complaint.tracking_no, PHONE[-4:]).status_code == 303
    db.expire_all()
    assert db.get(Complaint, complaint.id).track_failures == 0
    assert len(sms(db, "投诉查询多次验证失败")) == 1


def test_parallel_guesses_are_counted_before_they_are_checked(env, db):
    """Guesses at the same moment wait for each other's count: five are checked, not all."""
    complaint = answered(db)
    number, settings = complaint.tracking_no, get_settings()
    start = threading.Barrier(8)

    def guess(secret: str) -> bool:
        with session_factory(env)() as session:
            if secret < "1008":  # the first eight at the same moment
                start.wait(timeout=60)
            found = TrackingService(session, settings.secret_key, settings.hotline).lookup(
                number, secret, utcnow())
            session.commit()
            return found is not None

    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(guess, [f"{n}" for n in range(1000, 1024)]))
    assert not any(found)
    db.expire_all()
    assert db.get(Complaint, complaint.id).track_failures == MAX_FAILURES
    assert len(sms(db, "投诉查询多次验证失败")) == 1


def test_a_wrong_secret_after_the_lock_locks_again_without_a_second_message(client, db):
    complaint = answered(db)
    for n in range(MAX_FAILURES):
        lookup(client, complaint.tracking_no, f"{n:04d}")
    db.execute(update(Complaint).where(Complaint.id == complaint.id)
               .values(track_locked_until=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert lookup(client, complaint.tracking_no, "9999").status_code == 400
    assert lookup(client, complaint.tracking_no, PHONE[-4:]).status_code == 400  # locked again
    assert len(sms(db, "投诉查询多次验证失败")) == 1


def test_a_right_secret_clears_earlier_mistakes(client, db):
    complaint = answered(db)
    for n in range(MAX_FAILURES - 1):
        lookup(client, complaint.tracking_no, f"{n:04d}")
    assert lookup(client, complaint.tracking_no, PHONE[-4:]).status_code == 303
    for n in range(MAX_FAILURES - 1):
        lookup(client, complaint.tracking_no, f"{n:04d}")
    assert lookup(client, complaint.tracking_no, PHONE[-4:]).status_code == 303
    assert sms(db, "投诉查询多次验证失败") == []


def test_the_number_is_found_as_the_operator_read_it(client, db):
    complaint = answered(db)
    spaced = " ".join(re.findall(r".{1,4}", complaint.tracking_no))
    assert lookup(client, complaint.tracking_no, PHONE[-4:]).status_code == 303
    assert lookup(client, spaced, PHONE[-4:]).status_code == 303


def test_a_lookup_shows_the_answer_but_feedback_needs_a_code_sent_by_sms(client, db):
    complaint = answered(db)
    link = lookup(client, complaint.tracking_no, PHONE[-4:]).headers["location"]
    page = client.get(link)
    assert ANSWER in page.text and "获取短信验证码" in page.text and "135****2222" in page.text
    # Number + secret alone cannot close (or reopen) the complaint.
    for level in ("satisfied", "unsatisfied"):
        assert post(client, link + "/feedback", satisfied=level).status_code == 400
        assert post(client, link + "/feedback", satisfied=level, code="000000").status_code == 400
    db.expire_all()
    assert db.get(Complaint, complaint.id).status == "answered"

    sent = post(client, link + "/code")
    assert sent.status_code == 303 and sent.headers["location"].endswith("?code=sent")
    assert post(client, link + "/code").status_code == 429  # one a minute
    codes = sms(db, "评价验证码")
    assert len(codes) == 1 and codes[0].recipient == PHONE
    code = re.search(r"验证码 (\d{6})", codes[0].body).group(1)
    row = db.get(Complaint, complaint.id)
    assert row.feedback_code_hash and code not in row.feedback_code_hash  # stored as an HMAC

    assert post(client, link + "/feedback", satisfied="satisfied", code=code).status_code == 303
    db.expire_all()
    row = db.get(Complaint, complaint.id)
    assert row.status == "closed" and row.satisfaction == "satisfied"
    assert row.feedback_code_hash == ""  # used once


def test_a_code_is_void_after_five_wrong_tries(client, db):
    complaint = answered(db)
    link = lookup(client, complaint.tracking_no, PHONE[-4:]).headers["location"]
    post(client, link + "/code")
    code = re.search(r"验证码 (\d{6})", sms(db, "评价验证码")[0].body).group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert [post(client, link + "/feedback", satisfied="unsatisfied", code=wrong).status_code
            for _ in range(5)] == [400] * 5
    assert post(client, link + "/feedback", satisfied="unsatisfied", code=code).status_code == 400
    db.expire_all()
    assert db.get(Complaint, complaint.id).status == "answered"


def test_an_expired_code_is_refused(client, db):
    complaint = answered(db)
    link = lookup(client, complaint.tracking_no, PHONE[-4:]).headers["location"]
    post(client, link + "/code")
    code = re.search(r"验证码 (\d{6})", sms(db, "评价验证码")[0].body).group(1)
    db.execute(update(Complaint).where(Complaint.id == complaint.id)
               .values(feedback_code_expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert post(client, link + "/feedback", satisfied="satisfied", code=code).status_code == 400
    db.expire_all()
    assert db.get(Complaint, complaint.id).status == "answered"


def test_without_a_phone_only_the_full_link_gives_feedback(client, db):
    complaint = answered(db, phone="", anonymous=True)
    assert complaint.access_code
    link = lookup(client, complaint.tracking_no, complaint.access_code).headers["location"]
    page = client.get(link)
    assert ANSWER in page.text and 'name="satisfied"' not in page.text
    assert post(client, link + "/code").status_code == 403
    assert post(client, link + "/feedback", satisfied="satisfied", code="123456").status_code == 403
    db.expire_all()
    assert db.get(Complaint, complaint.id).status == "answered"


def test_no_code_is_sent_to_a_landline(client, db):
    complaint = answered(db, phone="0571-87654321")
    link = lookup(client, complaint.tracking_no, "4321").headers["location"]
    assert 'name="satisfied"' not in client.get(link).text
    assert post(client, link + "/code").status_code == 403
    assert sms(db, "评价验证码") == []


def test_the_answer_sms_carries_the_full_link_which_gives_feedback(client, db):
    complaint = answered(db)
    body = sms(db, "投诉已答复")[0].body
    found = re.search(re.escape(get_settings().base_url) + r"(/complaints/t/\S+?) ", body)
    assert found, body
    link = found.group(1)
    page = client.get(link)
    assert ANSWER in page.text and "获取短信验证码" not in page.text
    assert post(client, link + "/feedback", satisfied="unsatisfied").status_code == 303
    db.expire_all()
    row = db.get(Complaint, complaint.id)
    assert row.status == "assigned" and row.reopened_count == 1
