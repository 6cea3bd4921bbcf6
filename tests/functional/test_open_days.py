"""Open days over HTTP and through the service: create, list, sign up within capacity (also under
concurrent sign-ups), cancel, close at the deadline, held with a feedback aggregate."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.accounts.roles import Role
from portal.db import utcnow
from portal.jobs import OutboxJob
from portal.notify import Notification
from portal.opendays.models import OpenDay, Signup
from portal.opendays.services import (
    OpenDayService,
    SignupInput,
    SignupRefused,
    held_open_day_recently,
    institutions_without_open_day,
)

from factories import district, institution
from factories.opendays import sms_code
from support import csrf_token, sign_in
from support import post_form as post

PHONE = "13912345678"
SECRET = "test-secret-" + "x" * 40


def local(dt) -> str:
    from portal.settings import get_settings

    return dt.astimezone(get_settings().timezone).strftime("%Y-%m-%dT%H:%M")


def event(db, inst=None, *, capacity=10, starts_in=timedelta(days=5), **overrides) -> OpenDay:
    inst = inst or institution(db)
    now = utcnow()
    values = dict(
        institution_id=inst.id, title="走进颐养院", starts_at=now + starts_in,
        ends_at=now + starts_in + timedelta(hours=3),
        signup_deadline=now + starts_in - timedelta(days=1), place="一楼大厅",
        capacity=capacity, seats_taken=0, status="scheduled",
    )
    values.update(overrides)
    row = OpenDay(**values)
    db.add(row)
    db.commit()
    return row


def signup_form(client, open_day_id: int, **changes):
    data = {"name": "李四", "phone": PHONE, "identity": "家属", "party_size": "2", **changes}
    token = csrf_token(client, f"/opendays/{open_day_id}")
    return client.post(f"/opendays/{open_day_id}/signup", data={**data, "csrf_token": token},
                       follow_redirects=False)


def confirm_form(client, db, response, phone: str = PHONE):
    """Enter the SMS code on the page the sign-up form led to; the page's response."""
    link = response.headers["location"].split("?")[0]
    return post(client, f"{link}/confirm", code=sms_code(db, phone))


def good_event_form(**changes) -> dict:
    start = utcnow() + timedelta(days=10)
    data = {
        "title": "敬老院开放日", "starts_at": local(start),
        "ends_at": local(start + timedelta(hours=2)),
        "signup_deadline": local(start - timedelta(days=2)), "place": "二楼活动室",
        "capacity": "30", "description": "参观居室与食堂", "accessibility_notes": "有无障碍坡道",
    }
    data.update(changes)
    return data


# --- create -------------------------------------------------------------------------------


def test_institution_staff_create_an_open_day_for_their_own_institution(client, db):
    staff = sign_in(client, db, Role.INSTITUTION)
    response = post(client, "/opendays/new", **good_event_form())
    assert response.status_code == 303, response.text[:500]
    row = db.scalars(select(OpenDay)).one()
    assert row.institution_id == staff.institution_id and row.capacity == 30
    page = client.get(response.headers["location"])
    assert "敬老院开放日" in page.text and "有无障碍坡道" in page.text
    assert "敬老院开放日" in client.get("/opendays/manage").text
    # The institution's search document is redone (open days are searchable).
    index_jobs = db.scalars(select(OutboxJob).where(
        OutboxJob.func == "search.tasks:index_institution")).all()
    assert [job.args for job in index_jobs] == [[staff.institution_id]]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"capacity": "0"}, "capacity", "名额须为 1–500 之间的整数"),
        ({"capacity": "501"}, "capacity", "名额须为 1–500 之间的整数"),
        ({"title": ""}, "title", "请填写活动名称"),
        ({"starts_at": local(utcnow() - timedelta(hours=1))}, "starts_at", "开始时间不能早于现在"),
    ],
)
def test_create_refuses_bad_input_with_chinese_messages(client, db, changes, field, message):
    sign_in(client, db, Role.INSTITUTION)
    response = post(client, "/opendays/new", **good_event_form(**changes))
    assert response.status_code == 400 and message in response.text
    assert db.scalars(select(OpenDay)).first() is None


def test_create_refuses_end_before_start_and_deadline_after_start(client, db):
    sign_in(client, db, Role.INSTITUTION)
    start = utcnow() + timedelta(days=3)
    response = post(client, "/opendays/new", **good_event_form(
        starts_at=local(start), ends_at=local(start - timedelta(hours=1)),
        signup_deadline=local(start + timedelta(hours=1))))
    assert response.status_code == 400
    assert "结束时间须晚于开始时间" in response.text and "报名截止时间须早于开始时间" in response.text


def test_only_institution_staff_may_create(client, db):
    assert client.get("/opendays/new", follow_redirects=False).status_code == 303
    sign_in(client, db, Role.SUPERVISOR)
    assert client.get("/opendays/new").status_code == 403


# --- list and calendar --------------------------------------------------------------------


def test_public_list_filters_by_district_and_calendar_shows_the_month(client, db):
    east, west = district(db, "东城测试区"), district(db, "西城测试区")
    a = event(db, institution(db, east, name="东城颐养院"), title="东城开放日")
    event(db, institution(db, west, name="西城颐养院"), title="西城开放日")
    event(db, title="已结束开放日", starts_in=timedelta(days=-5), status="held",
          signup_deadline=utcnow() - timedelta(days=6))
    listed = client.get("/opendays/")
    assert "东城开放日" in listed.text and "西城开放日" in listed.text
    assert "已结束开放日" not in listed.text
    filtered = client.get(f"/opendays/?district={east.id}")
    assert "东城开放日" in filtered.text and "西城开放日" not in filtered.text
    fragment = client.get(f"/opendays/?district={east.id}", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="open-days"')
    month = local(a.starts_at)[:7]
    cal = client.get(f"/opendays/calendar?month={month}")
    assert cal.status_code == 200 and "东城开放日" in cal.text and "<table" in cal.text
    assert client.get("/opendays/calendar?month=junk").status_code == 200


# --- sign up, mask, cancel ----------------------------------------------------------------


def test_sign_up_confirms_queues_notifications_and_masks_the_phone(client, db):
    row = event(db, capacity=5)
    response = signup_form(client, row.id)
    assert response.status_code == 303, response.text[:500]
    db.expire_all()
    assert db.get(OpenDay, row.id).seats_taken == 2
    assert "验证码已发送到 139****5678" in client.get(response.headers["location"]).text
    confirmed = confirm_form(client, db, response)
    assert confirmed.status_code == 303
    signup = db.scalars(select(Signup)).one()
    db.refresh(signup)
    assert signup.status == "confirmed" and signup.phone == PHONE and signup.confirmed_at
    note = db.scalars(select(Notification).where(Notification.subject.like("开放日报名成功%"))
                      ).one()
    assert note.recipient == PHONE and "/opendays/signup/" in note.body
    # The SMS link is absolute (PORTAL_BASE_URL) and opens the sign-up page.
    link = note.body.split("请访问 ", 1)[1].strip()
    assert link.startswith("http://127.0.0.1:8000/opendays/signup/")
    assert client.get(link.removeprefix("http://127.0.0.1:8000")).status_code == 200
    from portal.jobs import OutboxJob

    keys = {job.dedupe_key for job in db.scalars(select(OutboxJob))}
    assert f"openday-reminder:{signup.id}" in keys
    mine = client.get(confirmed.headers["location"])
    assert "报名成功" in mine.text and "139****5678" in mine.text and PHONE not in mine.text
    assert PHONE not in client.get(f"/opendays/{row.id}").text
    assert PHONE not in client.get("/opendays/").text


def test_staff_and_civil_affairs_see_full_phones_other_institutions_do_not(client, db):
    row = event(db)
    assert signup_form(client, row.id).status_code == 303
    sign_in(client, db, Role.INSTITUTION, institution_id=row.institution_id)
    assert PHONE in client.get(f"/opendays/{row.id}/signups").text
    client.cookies.clear()
    sign_in(client, db, Role.INSTITUTION)
    assert client.get(f"/opendays/{row.id}/signups").status_code == 404
    client.cookies.clear()
    sign_in(client, db, Role.SUPERVISOR)
    assert PHONE in client.get(f"/opendays/{row.id}/signups").text


def test_sign_up_rejects_bad_phone_and_overfull_party(client, db):
    row = event(db, capacity=3)
    bad = signup_form(client, row.id, phone="12345")
    assert bad.status_code == 400 and "手机号码格式不正确" in bad.text
    assert signup_form(client, row.id, party_size="2").status_code == 303
    full = signup_form(client, row.id, party_size="2", phone="13900000009")
    assert full.status_code == 409 and "仅剩 1 个名额" in full.text


def test_sign_up_needs_csrf_and_is_rate_limited_per_ip(client, db):
    row = event(db, capacity=100)
    forged = client.post(f"/opendays/{row.id}/signup", data={
        "name": "李四", "phone": PHONE, "identity": "公众", "party_size": "1"})
    assert forged.status_code == 403
    for i in range(5):  # signups.py: ADDRESS_SIGNUPS_PER_HOUR
        assert signup_form(client, row.id, party_size="1",
                           phone=f"1390000{i:04d}").status_code == 303
    limited = signup_form(client, row.id, party_size="1", phone="13911112222")
    assert limited.status_code == 429 and "报名过于频繁" in limited.text
    db.expire_all()
    assert db.get(OpenDay, row.id).seats_taken == 5


def test_cancellation_by_signed_link_frees_the_seats(client, db):
    row = event(db, capacity=2)
    response = signup_form(client, row.id, party_size="2")
    link = response.headers["location"].split("?")[0]
    assert signup_form(client, row.id, party_size="1", phone="13900000009").status_code == 409
    cancelled = post(client, f"{link}/cancel")
    assert cancelled.status_code == 303
    db.expire_all()
    assert db.get(OpenDay, row.id).seats_taken == 0
    assert "已取消" in client.get(cancelled.headers["location"]).text
    assert post(client, f"{link}/cancel").status_code == 409  # a second cancel frees nothing
    assert db.get(OpenDay, row.id).seats_taken == 0
    assert signup_form(client, row.id, party_size="2").status_code == 303
    assert client.get("/opendays/signup/forged-token").status_code == 404


def test_capacity_holds_under_concurrent_sign_ups(env, db):
    """50 people sign up at the same moment for 10 places: exactly 10 are confirmed."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    row = event(db, capacity=10)
    people = 50
    # 50 connections of its own, so all 50 transactions are open at once (SQLite lets one
    # writer in at a time; the others wait on its busy timeout).
    connect_args = {"check_same_thread": False, "timeout": 60} if env.startswith("sqlite") else {}
    engine = create_engine(env, pool_size=people, max_overflow=0, connect_args=connect_args)
    maker = sessionmaker(bind=engine, expire_on_commit=False)
    barrier = threading.Barrier(people)
    outcomes: list[str] = []
    failures: list[str] = []

    def attempt(i: int) -> None:
        try:
            with maker() as session:
                session.connection()  # connected before the race starts
                service = OpenDayService(session, SECRET)
                barrier.wait(timeout=60)
                try:
                    service.sign_up(row.id, SignupInput(f"报名人{i}", f"139{i:08d}", "公众", "1"),
                                    now=utcnow())
                    session.commit()
                    outcomes.append("ok")
                except SignupRefused as exc:
                    session.rollback()
                    outcomes.append("full" if "名额" in str(exc) else str(exc))
        except Exception as exc:  # a database error is a failure, not a refusal
            failures.append(repr(exc))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    engine.dispose()
    assert failures == []
    db.expire_all()
    assert outcomes.count("ok") == 10 and outcomes.count("full") == 40, outcomes
    assert db.get(OpenDay, row.id).seats_taken == 10
    confirmed = db.scalars(select(Signup).where(Signup.status == "confirmed")).all()
    assert len(confirmed) == 10 and len({s.phone for s in confirmed}) == 10
    assert db.scalar(select(func.count(Signup.id))) == 10  # refused attempts left no row
    assert db.scalar(select(func.count(Notification.id))) == 10  # one code SMS each


def test_the_database_refuses_seats_beyond_capacity(db):
    from sqlalchemy.exc import IntegrityError

    row = event(db, capacity=2)
    with pytest.raises(IntegrityError):
        db.execute(update(OpenDay).where(OpenDay.id == row.id).values(seats_taken=3))
        db.flush()
    db.rollback()


# --- deadline, held, feedback -------------------------------------------------------------


def test_after_the_deadline_sign_up_is_closed_with_a_chinese_message(client, db):
    row = event(db)
    db.execute(update(OpenDay).where(OpenDay.id == row.id)
               .values(signup_deadline=utcnow() - timedelta(minutes=1)))
    db.commit()
    refused = signup_form(client, row.id)
    assert refused.status_code == 409 and "报名已截止" in refused.text
    assert OpenDayService(db, SECRET).close_signups_due(utcnow()) == 1
    db.commit()
    db.expire_all()
    assert db.get(OpenDay, row.id).status == "closed"
    page = client.get(f"/opendays/{row.id}")
    assert "报名已截止" in page.text and 'name="phone"' not in page.text


def test_held_event_asks_attendees_for_feedback_and_publishes_the_aggregate(client, db):
    row = event(db, capacity=10)
    for phone in ("13900000001", "13900000002"):
        assert confirm_form(client, db, signup_form(client, row.id, phone=phone),
                            phone).status_code == 303
    past = utcnow() - timedelta(hours=1)
    db.execute(update(OpenDay).where(OpenDay.id == row.id).values(
        starts_at=past - timedelta(hours=3), ends_at=past,
        signup_deadline=past - timedelta(days=1)))
    db.commit()
    service = OpenDayService(db, SECRET)
    assert service.mark_held(utcnow()) == [row.id]
    db.commit()
    assert service.mark_held(utcnow()) == []  # idempotent: nobody is asked twice
    asks = db.scalars(select(Notification).where(Notification.subject.like("请评价%"))).all()
    assert len(asks) == 2
    links = [note.body.split("：")[-1] for note in asks]
    for link, rating in zip(links, ["5", "4"], strict=True):
        assert client.get(link).status_code == 200
        assert post(client, link, rating=rating, text="很好").status_code == 303
    assert post(client, links[0], rating="1").status_code == 409
    page = client.get(f"/opendays/{row.id}")
    assert "共 2 人评价" in page.text and "4.5" in page.text


# --- the periodic check -------------------------------------------------------------------


def test_institutions_without_a_recent_open_day_are_flagged_for_civil_affairs(client, db):
    quiet = institution(db, name="沉默颐养院")
    active = institution(db, name="活跃颐养院")
    institution(db, name="社区服务站", kind="community")
    past = utcnow() - timedelta(days=10)
    event(db, active, status="held", starts_at=past - timedelta(hours=2), ends_at=past,
          signup_deadline=past - timedelta(days=1))
    ids = institutions_without_open_day(db, utcnow(), 180)
    assert quiet.id in ids and active.id not in ids
    assert held_open_day_recently(db, active.id, utcnow(), 180)
    assert not held_open_day_recently(db, active.id, utcnow(), 5)
    assert client.get("/opendays/overdue", follow_redirects=False).status_code == 303
    sign_in(client, db, Role.SUPERVISOR)
    page = client.get("/opendays/overdue")
    assert page.status_code == 200 and "沉默颐养院" in page.text and "活跃颐养院" not in page.text
    assert "近 180 天内有" in page.text
    # 5000 digits once reached int() (a 500): junk, so the configured period is used.
    junk = client.get("/opendays/overdue", params={"days": "9" * 5000})
    assert junk.status_code == 200 and "近 180 天内有" in junk.text
