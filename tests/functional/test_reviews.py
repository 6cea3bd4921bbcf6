"""Reviews over HTTP: submit, moderate, publish with aggregates, the 90-day and IP limits,
reply once, and the reviewer's phone never stored or shown."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select, text, update

from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.reviews import views as review_views
from portal.reviews.models import Review
from portal.reviews.services import aggregates

from factories import institution
from support import csrf_token, sign_in
from support import post_form as post

PHONE = "13912345678"
GOOD = {
    "rating_attitude": "5",
    "rating_hygiene": "4",
    "rating_meals": "3",
    "rating_care": "4",
    "rating_fees": "5",
    "text": "护理员很耐心，每天帮老人翻身，饭菜偏咸。",
    "reviewer_name": "张三丰",
    "phone": PHONE,
}


def submit(client, inst_id: int, **changes):
    data = {**GOOD, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    token = csrf_token(client, f"/reviews/new/{inst_id}")
    return client.post(f"/reviews/new/{inst_id}", data={**data, "csrf_token": token},
                       follow_redirects=False)


class Text(HTMLParser):
    """The visible text of a page, for checks that must not match markup."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.feed(html)

    def handle_data(self, data):
        self.parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def only_review(db) -> Review:
    db.expire_all()
    return db.scalars(select(Review)).one()


# --- submit, moderate, publish ------------------------------------------------------------
def test_review_is_hidden_until_approved_then_shown_with_aggregates(client, db):
    inst = institution(db)
    db.commit()
    form = client.get(f"/reviews/new/{inst.id}")
    assert form.status_code == 200 and "服务态度" in form.text and 'type="radio"' in form.text
    response = submit(client, inst.id)
    assert response.status_code == 303
    assert response.headers["location"] == f"/reviews/institution/{inst.id}?submitted=1"
    page = client.get(response.headers["location"])
    assert "评价已提交" in page.text and GOOD["text"] not in page.text
    assert "评价（0 条）" in page.text

    moderator = sign_in(client, db, Role.SUPERVISOR)
    queue = client.get("/reviews/moderation")
    assert queue.status_code == 200 and GOOD["text"] in queue.text and inst.name in queue.text
    review = only_review(db)
    assert post(client, f"/reviews/{review.id}/moderate", decision="approve").status_code == 303
    assert GOOD["text"] not in client.get("/reviews/moderation").text

    listed = client.get(f"/reviews/institution/{inst.id}")
    assert GOOD["text"] in listed.text and "评价（1 条）" in listed.text
    assert "张**" in listed.text and "张三丰" not in listed.text
    visible = Text(listed.text).text
    assert "服务态度平均5.0星" in "".join(visible.split())
    fragment = client.get(f"/reviews/institution/{inst.id}", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="reviews"')

    review = only_review(db)
    assert review.status == "published" and review.moderated_by_id == moderator.id
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "review.approve")).one()
    assert event.actor_id == moderator.id and event.object_id == str(review.id)


def test_aggregates_average_each_dimension_over_published_reviews_only(client, db):
    inst = institution(db)
    db.commit()
    assert submit(client, inst.id).status_code == 303
    assert submit(client, inst.id, phone="13800001111", rating_attitude="2",
                  rating_meals="5").status_code == 303
    assert submit(client, inst.id, phone="13800002222", rating_attitude="1").status_code == 303
    ids = [r.id for r in db.scalars(select(Review).order_by(Review.id))]
    db.execute(update(Review).where(Review.id.in_(ids[:2])).values(status="published"))
    db.commit()
    summary = aggregates(db, inst.id)
    assert summary.count == 2
    assert summary.averages["rating_attitude"] == 3.5
    assert summary.averages["rating_meals"] == 4.0
    assert summary.averages["rating_fees"] == 5.0
    assert aggregates(db, institution(db).id).count == 0


def test_moderator_rejects_with_a_reason_and_the_review_stays_hidden(client, db):
    inst = institution(db)
    db.commit()
    submit(client, inst.id)
    sign_in(client, db, Role.ADMIN)
    review = only_review(db)
    no_reason = post(client, f"/reviews/{review.id}/moderate", decision="reject", reason="")
    assert no_reason.status_code == 400 and "请填写理由" in no_reason.text
    assert only_review(db).status == "pending"
    response = post(client, f"/reviews/{review.id}/moderate", decision="reject",
                    reason="含有工作人员的姓名和电话")
    assert response.status_code == 303
    review = only_review(db)
    assert review.status == "rejected" and review.reject_reason == "含有工作人员的姓名和电话"
    assert GOOD["text"] not in client.get(f"/reviews/institution/{inst.id}").text
    again = post(client, f"/reviews/{review.id}/moderate", decision="approve")
    assert again.status_code == 409 and "已审核过" in again.text
    assert only_review(db).status == "rejected"
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "review.reject")).one()


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPARTMENT, Role.INSTITUTION])
def test_only_civil_affairs_moderates(client, db, role):
    inst = institution(db)
    db.commit()
    submit(client, inst.id)
    sign_in(client, db, role)
    assert client.get("/reviews/moderation").status_code == 403
    review = only_review(db)
    assert post(client, f"/reviews/{review.id}/moderate", decision="approve").status_code == 403
    assert only_review(db).status == "pending"


# --- limits -------------------------------------------------------------------------------
def test_same_phone_within_90_days_is_refused_and_allowed_after(client, db):
    inst = institution(db)
    db.commit()
    assert submit(client, inst.id).status_code == 303
    # Written differently, it is the same phone.
    again = submit(client, inst.id, phone="+86 139 1234 5678")
    assert again.status_code == 400 and "90 天内已评价过这家机构" in again.text
    other_inst = institution(db)
    db.commit()
    assert submit(client, other_inst.id).status_code == 303

    db.execute(update(Review).where(Review.institution_id == inst.id)
               .values(created_at=utcnow() - timedelta(days=91)))
    db.commit()
    assert submit(client, inst.id).status_code == 303
    assert len(db.scalars(select(Review).where(Review.institution_id == inst.id)).all()) == 2


def test_rejected_review_does_not_block_a_corrected_one(client, db):
    inst = institution(db)
    db.commit()
    submit(client, inst.id)
    db.execute(update(Review).values(status="rejected", reject_reason="含个人信息"))
    db.commit()
    assert submit(client, inst.id).status_code == 303


def test_too_many_reviews_from_one_ip_get_429_in_chinese(client, db):
    inst = institution(db)
    db.commit()
    codes = [submit(client, inst.id, phone=f"1380000{n:04d}").status_code
             for n in range(review_views.REVIEWS_PER_HOUR + 1)]
    assert codes[:-1] == [303] * review_views.REVIEWS_PER_HOUR
    blocked = submit(client, inst.id, phone="13700009999")
    assert blocked.status_code == 429 and "提交过于频繁" in blocked.text
    assert db.scalar(select(text("count(*)")).select_from(Review)) == \
        review_views.REVIEWS_PER_HOUR


# --- validation ---------------------------------------------------------------------------
@pytest.mark.parametrize("field,label", [
    ("rating_attitude", "服务态度"), ("rating_hygiene", "环境卫生"), ("rating_meals", "餐饮"),
    ("rating_care", "医疗护理"), ("rating_fees", "收费透明"),
])
@pytest.mark.parametrize("value", ["0", "6", None, "x"])
def test_each_rating_is_validated_with_a_message_naming_it(client, db, field, label, value):
    inst = institution(db)
    db.commit()
    response = submit(client, inst.id, **{field: value})
    assert response.status_code == 400
    assert f"“{label}”" in response.text and "1–5 星" in response.text
    assert 'href="#f-' + field + '"' in response.text
    assert GOOD["text"] in response.text  # the rest of the form is kept
    assert db.scalars(select(Review)).first() is None


@pytest.mark.parametrize("changes,message", [
    ({"text": "太差了"}, "评价内容至少 10 个字"),
    ({"text": "好" * 1001}, "评价内容不能超过 1000 个字"),
    ({"phone": ""}, "请填写手机号码"),
    ({"phone": "12345"}, "电话号码格式不正确"),
    ({"reviewer_name": "名" * 21}, "称呼不能超过 20 个字"),
])
def test_text_phone_and_name_are_validated(client, db, changes, message):
    inst = institution(db)
    db.commit()
    response = submit(client, inst.id, **changes)
    assert response.status_code == 400 and message in response.text


def test_unknown_institution_is_404(client, db):
    assert client.get("/reviews/new/999999").status_code == 404
    assert client.get("/reviews/institution/999999").status_code == 404


def test_database_rejects_out_of_range_ratings(db):
    inst = institution(db)
    db.commit()
    row = dict(institution_id=inst.id, rating_attitude=6, rating_hygiene=1, rating_meals=1,
               rating_care=1, rating_fees=1, text="足够长的一段评价内容。", phone_hash="x" * 64)
    from sqlalchemy.exc import IntegrityError

    db.add(Review(**row))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


# --- privacy and escaping -----------------------------------------------------------------
def test_phone_is_never_stored_nor_shown(client, db):
    inst = institution(db)
    db.commit()
    submit(client, inst.id)
    refused = submit(client, inst.id)
    # Shown back to the browser that typed it, in its field only (issue 21 item 11).
    assert refused.status_code == 400 and refused.text.count(PHONE) == 1
    assert f'value="{PHONE}"' in refused.text
    assert refused.headers["cache-control"] == "no-store"
    sign_in(client, db, Role.SUPERVISOR)
    review = only_review(db)
    assert PHONE not in client.get("/reviews/moderation").text
    post(client, f"/reviews/{review.id}/moderate", decision="approve")
    assert PHONE not in client.get(f"/reviews/institution/{inst.id}").text
    for table in ("reviews", "audit_events"):
        rows = db.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
        dumped = repr(rows)
        assert PHONE not in dumped
    assert len(only_review(db).phone_hash) == 64


def test_review_text_is_escaped(client, db):
    inst = institution(db)
    db.commit()
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>很不错的养老院'
    submit(client, inst.id, text=attack, reviewer_name="<b>李</b>")
    db.execute(update(Review).values(status="published"))
    db.commit()
    page = client.get(f"/reviews/institution/{inst.id}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


# --- replies ------------------------------------------------------------------------------
def published_review(client, db):
    inst = institution(db)
    db.commit()
    submit(client, inst.id)
    db.execute(update(Review).values(status="published"))
    db.commit()
    return inst, only_review(db)


def test_institution_replies_once(client, db):
    inst, review = published_review(client, db)
    staff = sign_in(client, db, Role.INSTITUTION, institution_id=inst.id)
    page = client.get(f"/reviews/institution/{inst.id}")
    assert f'/reviews/{review.id}/reply"' in page.text
    empty = post(client, f"/reviews/{review.id}/reply", reply="")
    assert empty.status_code == 400 and "请填写回复内容" in empty.text
    first = post(client, f"/reviews/{review.id}/reply", reply="感谢反馈，已调整菜谱少盐。")
    assert first.status_code == 303
    assert first.headers["location"] == f"/reviews/institution/{inst.id}#review-{review.id}"
    second = post(client, f"/reviews/{review.id}/reply", reply="再补充一句。")
    assert second.status_code == 409 and "只能回复一次" in second.text
    review = only_review(db)
    assert review.reply_text == "感谢反馈，已调整菜谱少盐。" and review.reply_by_id == staff.id
    public = client.get(f"/reviews/institution/{inst.id}").text
    assert "机构回复" in public and "感谢反馈" in public and "再补充一句" not in public
    assert f'/reviews/{review.id}/reply"' not in public


def test_another_institution_cannot_reply(client, db):
    inst, review = published_review(client, db)
    sign_in(client, db, Role.INSTITUTION)  # bound to a different institution
    assert f'/reviews/{review.id}/reply"' not in client.get(
        f"/reviews/institution/{inst.id}").text
    response = post(client, f"/reviews/{review.id}/reply", reply="这不是我们的评价")
    assert response.status_code == 404
    assert only_review(db).reply_text is None


def test_staff_of_other_roles_cannot_reply_and_pending_reviews_cannot_be_replied(client, db):
    inst = institution(db)
    db.commit()
    submit(client, inst.id)
    review = only_review(db)
    sign_in(client, db, Role.SUPERVISOR)
    assert post(client, f"/reviews/{review.id}/reply", reply="督办回复").status_code == 403
    sign_in(client, db, Role.INSTITUTION, institution_id=inst.id)
    assert post(client, f"/reviews/{review.id}/reply", reply="抢先回复").status_code == 404


# --- pagination ---------------------------------------------------------------------------
def test_published_reviews_are_paginated_newest_first(client, db):
    inst = institution(db)
    db.commit()
    start = utcnow() - timedelta(days=1)
    for n in range(12):
        db.add(Review(institution_id=inst.id, rating_attitude=5, rating_hygiene=5,
                      rating_meals=5, rating_care=5, rating_fees=5,
                      text=f"第{n:02d}条评价，内容足够长。", phone_hash=f"{n:064d}",
                      status="published", created_at=start + timedelta(minutes=n)))
    db.commit()
    first = client.get(f"/reviews/institution/{inst.id}").text
    assert "第11条" in first and "第02条" in first and "第01条" not in first
    assert "第 1 / 2 页" in first
    second = client.get(f"/reviews/institution/{inst.id}?page=2",
                        headers={"HX-Request": "true"}).text
    assert "第01条" in second and "第00条" in second and "第11条" not in second
