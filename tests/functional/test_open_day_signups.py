"""Open-day sign-ups (issue 18 item 7): one per phone per event, even when the same form is
posted five times at once; pending until the phone enters its SMS code; unconfirmed holds
lapse and give their seats back; limits per phone per day and per address per hour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.db import session_scope, utcnow
from portal.core.jobs import OutboxJob
from portal.core.notify import Notification
from portal.core.settings import get_settings
from portal.opendays.models import OpenDay, Signup
from portal.opendays.services.events import (
    AlreadySignedUp,
    OpenDayService,
    SignupInput,
    SignupRefused,
    WrongCode,
)
from portal.opendays.services.signups import CODE_ATTEMPTS, HOLD, PHONE_SIGNUPS_PER_DAY, code_hash

from factories import institution
from factories.opendays import confirmed_signup, sms_code
from support import at_once, csrf_token
from support import post_form as post

PHONE = "13912345678"
RACERS = 5


def event(db, *, capacity=10, starts_in=timedelta(days=5), inst=None) -> OpenDay:
    now = utcnow()
    row = OpenDay(institution_id=(inst or institution(db)).id, title="走进颐养院",
                  starts_at=now + starts_in, ends_at=now + starts_in + timedelta(hours=3),
                  signup_deadline=now + starts_in - timedelta(days=1), place="一楼大厅",
                  capacity=capacity, seats_taken=0, status="scheduled")
    db.add(row)
    db.commit()
    return row


def form(client, open_day_id: int, **changes):
    data = {"name": "李四", "phone": PHONE, "identity": "家属", "party_size": "2", **changes}
    token = csrf_token(client, f"/opendays/{open_day_id}")
    return client.post(f"/opendays/{open_day_id}/signup", data={**data, "csrf_token": token},
                       follow_redirects=False)


def service(db) -> OpenDayService:
    return OpenDayService(db, get_settings().secret_key)


def seats(db, open_day_id: int) -> int:
    db.expire_all()
    return db.get(OpenDay, open_day_id).seats_taken


def held(db, open_day_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Signup).where(
        Signup.open_day_id == open_day_id, Signup.status == "confirmed"))


def test_the_same_sign_up_raced_five_times_takes_one_sign_up(env, db):
    """Five threads with sessions of their own post one form at the same moment."""
    row = event(db, capacity=10)
    def sign_up(go):
        with session_scope(env) as s:
            # Connected before the race starts; on SQLite that would begin the transaction,
            # which holds the database from its BEGIN IMMEDIATE (portal/core/db.py) until its end.
            if not env.startswith("sqlite"):
                s.connection()
            go()
            return OpenDayService(s, get_settings().secret_key).sign_up(
                row.id, SignupInput("李四", "139 1234 5678", "家属", "2"), now=utcnow()).id

    results = at_once(RACERS, sign_up)
    made = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if not isinstance(r, int)]
    assert len(made) == 1, results
    assert all(isinstance(r, AlreadySignedUp) for r in refused), refused
    assert all(r.message.startswith("您已报名") for r in refused)
    assert held(db, row.id) == 1 and seats(db, row.id) == 2
    codes = db.scalar(select(func.count()).select_from(Notification))
    assert codes == 1  # one code SMS


def test_a_second_sign_up_of_one_phone_is_answered_plainly_and_takes_no_seat(client, db):
    row = event(db, capacity=10)
    first = form(client, row.id)
    assert first.status_code == 303
    # The same browser posting again (a double click) is sent to the sign-up it made.
    again = form(client, row.id)
    assert again.status_code == 303
    assert again.headers["location"].split(".")[0] == first.headers["location"].split(".")[0]
    # Anyone else with that phone is told so, in Chinese, and gets no second seat.
    client.cookies.clear()
    other = form(client, row.id, name="王五", party_size="3", phone="+86 139 1234 5678")
    assert other.status_code == 409 and "您已报名本次开放日" in other.text
    assert PHONE not in other.text
    assert held(db, row.id) == 1 and seats(db, row.id) == 2
    # Confirmed, the answer is the same; cancelled, the phone may sign up again.
    link = first.headers["location"].split("?")[0]
    code = sms_code(db, PHONE)
    client.cookies.clear()
    assert post(client, f"{link}/confirm", code=code).status_code == 303
    client.cookies.clear()
    assert form(client, row.id).status_code == 409
    assert post(client, f"{link}/cancel").status_code == 303
    assert seats(db, row.id) == 0
    assert form(client, row.id).status_code == 303 and seats(db, row.id) == 2


def test_a_sign_up_is_pending_until_the_sms_code_is_entered(client, db):
    row = event(db, capacity=5)
    response = form(client, row.id)
    assert response.status_code == 303
    signup = db.scalars(select(Signup)).one()
    assert signup.status == "confirmed" and signup.confirmed_at is None  # pending, seats held
    assert seats(db, row.id) == 2
    page = client.get(response.headers["location"])
    assert "还差一步" in page.text and "139****5678" in page.text and PHONE not in page.text
    assert "待短信确认" in page.text and 'autocomplete="one-time-code"' in page.text
    # Only the code SMS so far; no reminder before the phone confirmed.
    note = db.scalars(select(Notification)).one()
    code = sms_code(db, PHONE)
    assert note.subject == "开放日报名验证码" and code in note.body
    # The SMS also carries the page's link, for someone who closed it.
    sms_link = note.body.split("可打开 ", 1)[1].split(" ")[0]
    assert sms_link.startswith("http://127.0.0.1:8000/opendays/signup/")  # PORTAL_BASE_URL
    sms_path = sms_link.removeprefix("http://127.0.0.1:8000")
    # (the same signed sign-up id; the signing time may differ by a second)
    assert sms_path.split(".")[0] == response.headers["location"].split(".")[0]
    assert "还差一步" in client.get(sms_path).text
    assert db.scalar(select(func.count()).select_from(OutboxJob).where(
        OutboxJob.dedupe_key.like("openday-reminder:%"))) == 0
    # The code is stored as an HMAC only.
    assert signup.code_hash == code_hash(get_settings().secret_key, row.id, PHONE, code)
    assert code not in signup.code_hash

    link = response.headers["location"].split("?")[0]
    wrong = "000000" if code != "000000" else "111111"
    bad = post(client, f"{link}/confirm", code=wrong)
    assert bad.status_code == 400 and f"还可以再试 {CODE_ATTEMPTS - 1} 次" in bad.text
    empty = post(client, f"{link}/confirm", code="12")
    assert empty.status_code == 400 and "6 位数字验证码" in empty.text
    # Full-width digits with spaces, as a phone keyboard may give them, are accepted.
    typed = " ".join(chr(ord(d) + 0xFEE0) for d in code)
    done = post(client, f"{link}/confirm", code=typed)
    assert done.status_code == 303
    mine = client.get(done.headers["location"])
    assert "报名成功" in mine.text and "已确认" in mine.text and "还差一步" not in mine.text
    db.expire_all()
    signup = db.get(Signup, signup.id)
    assert signup.confirmed_at is not None and signup.code_hash is None
    assert db.scalar(select(func.count()).select_from(Notification).where(
        Notification.subject.like("开放日报名成功%"))) == 1
    assert db.scalar(select(func.count()).select_from(OutboxJob).where(
        OutboxJob.dedupe_key == f"openday-reminder:{signup.id}")) == 1
    # Entering it again changes nothing and sends nothing more.
    assert post(client, f"{link}/confirm", code=code).status_code == 303
    assert db.scalar(select(func.count()).select_from(Notification)) == 2


def test_wrong_codes_use_up_the_tries_and_give_the_seats_back(client, db):
    row = event(db, capacity=5)
    link = form(client, row.id).headers["location"].split("?")[0]
    code = sms_code(db, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(CODE_ATTEMPTS - 1):
        assert post(client, f"{link}/confirm", code=wrong).status_code == 400
    last = post(client, f"{link}/confirm", code=wrong)
    assert last.status_code == 400 and "错误次数过多" in last.text
    assert seats(db, row.id) == 0 and held(db, row.id) == 0
    # The right code is no use any more.
    late = post(client, f"{link}/confirm", code=code)
    assert late.status_code == 409 and "请重新报名" in late.text
    assert seats(db, row.id) == 0


def test_an_unconfirmed_hold_lapses_and_the_seats_go_to_the_next_person(db):
    row = event(db, capacity=2)
    svc = service(db)
    earlier = utcnow() - HOLD - timedelta(minutes=1)
    lapsed = svc.sign_up(row.id, SignupInput("甲", "13900000001", "公众", "2"), now=earlier)
    db.commit()
    assert seats(db, row.id) == 2
    token = svc.cancel_tokens.dumps(str(lapsed.id))
    # The next sign-up for the event releases the lapsed hold first, and gets the seats.
    nxt = svc.sign_up(row.id, SignupInput("乙", "13900000002", "公众", "2"), now=utcnow())
    db.commit()
    assert seats(db, row.id) == 2
    db.expire_all()
    assert db.get(Signup, lapsed.id).status == "cancelled"
    assert db.get(Signup, lapsed.id).cancel_reason == "unconfirmed"
    with pytest.raises(SignupRefused, match="请重新报名"):
        svc.confirm(token, sms_code(db, "13900000001"), now=utcnow())
    # The lapsed phone may sign up again (capacity permitting): it is not a duplicate.
    with pytest.raises(SignupRefused, match="名额已满"):
        svc.sign_up(row.id, SignupInput("甲", "13900000001", "公众", "1"), now=utcnow())
    db.rollback()
    assert svc.release_unconfirmed(utcnow()) == 0  # nothing else lapsed
    assert db.get(Signup, nxt.id).status == "confirmed"


def test_an_expired_code_releases_the_seats_when_entered(client, db):
    row = event(db, capacity=5)
    svc = service(db)
    signup = svc.sign_up(row.id, SignupInput("甲", PHONE, "公众", "3"),
                         now=utcnow() - HOLD - timedelta(seconds=5))
    db.commit()
    code = sms_code(db, PHONE)
    token = svc.cancel_tokens.dumps(str(signup.id))
    late = post(client, f"/opendays/signup/{token}/confirm", code=code)
    assert late.status_code == 400 and "验证码已过期" in late.text
    assert seats(db, row.id) == 0


def test_one_phone_signs_up_at_most_three_times_a_day_across_events(db):
    inst = institution(db)
    rows = [event(db, inst=inst) for _ in range(PHONE_SIGNUPS_PER_DAY + 1)]
    svc = service(db)
    for row in rows[:PHONE_SIGNUPS_PER_DAY]:
        confirmed_signup(svc, row.id, SignupInput("甲", PHONE, "公众", "1"))
        db.commit()
    with pytest.raises(SignupRefused, match="24 小时内已报名 3 次"):
        svc.sign_up(rows[-1].id, SignupInput("甲", PHONE, "公众", "1"), now=utcnow())
    db.rollback()
    # Another phone is not affected; the next day the phone may sign up again.
    svc.sign_up(rows[-1].id, SignupInput("乙", "13800000000", "公众", "1"), now=utcnow())
    svc.sign_up(rows[-1].id, SignupInput("甲", PHONE, "公众", "1"),
                now=utcnow() + timedelta(days=1, minutes=1))
    db.commit()


def test_one_address_gets_five_sign_ups_an_hour_and_mistakes_do_not_count(client, db):
    row = event(db, capacity=100)
    for _ in range(3):
        assert form(client, row.id, phone="123").status_code == 400  # not counted
    for i in range(5):
        assert form(client, row.id, phone=f"1390000{i:04d}").status_code == 303
    limited = form(client, row.id, phone="13911112222")
    assert limited.status_code == 429 and "报名过于频繁" in limited.text
    assert seats(db, row.id) == 10


def test_a_wrong_code_is_counted_even_though_the_page_says_no(db):
    row = event(db)
    svc = service(db)
    signup = svc.sign_up(row.id, SignupInput("甲", PHONE, "公众", "1"), now=utcnow())
    db.commit()
    token = svc.cancel_tokens.dumps(str(signup.id))
    code = sms_code(db, PHONE)
    with pytest.raises(WrongCode):
        svc.confirm(token, "000000" if code != "000000" else "111111", now=utcnow())
    db.commit()
    db.expire_all()
    assert db.get(Signup, signup.id).code_attempts == 1
