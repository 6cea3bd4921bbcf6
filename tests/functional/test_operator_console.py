"""The operator console: filing calls and hand-overs, caller history, duplicates, read-back."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from complaints.models import Complaint, ComplaintEvent
from portal.accounts.rules.roles import Role

from factories import department, district, institution
from support import csrf_token, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
HX = {"HX-Request": "true"}


def city_with_offices(db):
    d = district(db, name="东城区")
    offices = {
        ("civil_affairs", None): department(db, "civil_affairs"),
        ("civil_affairs", d.id): department(db, "civil_affairs", d),
        ("fire_rescue", None): department(db, "fire_rescue"),
        ("market_regulation", d.id): department(db, "market_regulation", d),
        ("public_security", None): department(db, "public_security"),
    }
    inst = institution(db, district_=d, name="东城幸福颐养院", name_initials="dcxfyyy")
    other = institution(db, district_=d, name="东城康乐老年公寓", name_initials="dckllngy")
    db.commit()
    return d, offices, inst, other


def file_call(client, **fields):
    data = {"csrf_token": csrf_token(client, "/operator/"), "action": "file", "channel": "phone",
            **fields}
    return client.post("/operator/", data=data, follow_redirects=False)


class Page(HTMLParser):
    """The elements of a page as (tag, attributes) plus label targets, for structural checks."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.label_for: set[str] = set()
        self._open_labels = 0
        self.wrapped: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag == "label":
            self._open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and self._open_labels and a.get("id"):
            self.wrapped.add(a["id"])

    def handle_endtag(self, tag):
        if tag == "label":
            self._open_labels -= 1

    def find(self, tag: str, **attrs) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements
                if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def one(self, tag: str, **attrs) -> dict[str, str | None]:
        found = self.find(tag, **attrs)
        assert len(found) == 1, (tag, attrs, found)
        return found[0]


# --- access -------------------------------------------------------------------------------
def test_console_is_for_operators_only(client, db):
    assert client.get("/operator/", follow_redirects=False).status_code == 303
    sign_in(client, db, Role.DEPARTMENT)
    response = client.get("/operator/")
    assert response.status_code == 403 and "没有权限" in response.text


# --- the form -----------------------------------------------------------------------------
def test_console_is_keyboard_first_and_csp_clean(client, db):
    city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    response = client.get("/operator/")
    assert response.status_code == 200
    page = Page(response.text)
    phone = page.one("input", name="complainant_phone")
    assert "autofocus" in phone and phone.get("accesskey") == "p"
    # Every visible field has a label.
    fields = [a for t, a in page.elements if t in ("input", "select", "textarea")
              and a.get("type") not in ("hidden",)]
    assert fields
    for a in fields:
        assert a.get("id") in page.label_for, a
    # Tab order follows the document: phone, name, anonymous, institution, …, description,
    # category, urgent, channel, original receipt time.
    order = [a.get("name") for a in fields]
    expected = ["complainant_phone", "complainant_name", "anonymous", "institution_q",
                "description", "category", "urgent", "channel", "received_at"]
    positions = [order.index(n) for n in expected]
    assert positions == sorted(positions)
    assert not [a for _t, a in page.elements if a.get("tabindex") not in (None, "-1")]
    # Enter in any text field files: the first submit button of the form is action=file.
    buttons = page.find("button")
    submits = [b for b in buttons if b.get("type") == "submit" and b.get("name") == "action"]
    assert submits[0].get("value") == "file"
    visible = page.one("button", accesskey="s")
    assert visible.get("value") == "file"
    # The CSP forbids inline script, style attributes and event handlers.
    assert not page.find("script", src=None)
    assert not [a for _t, a in page.elements
                if "style" in a or any(k.startswith("on") for k in a)]
    received = page.one("input", name="received_at")
    assert received.get("type") == "datetime-local"
    assert "checked" in page.one("input", type="radio", name="channel", value="phone")
    assert page.find("input", type="radio", name="channel", value="handover")


def test_operator_files_a_phone_call_and_reads_back_number_department_and_due_date(client, db):
    _, offices, inst, _ = city_with_offices(db)
    operator = sign_in(client, db, Role.OPERATOR)
    response = file_call(client, complainant_phone="138 1234 5678", complainant_name="张三",
                         institution_id=str(inst.id), category="fire_safety",
                         description="走廊堆满杂物，消防通道被堵住了")
    assert response.status_code == 303, response.text[:500]
    complaint = db.scalars(select(Complaint)).one()
    assert response.headers["location"] == f"/operator/filed/{complaint.id}"
    assert complaint.channel == "phone" and complaint.created_by_id == operator.id
    assert complaint.complainant_phone == "13812345678" and complaint.complainant_name == "张三"
    assert complaint.responsible_department_id == offices[("fire_rescue", None)].id
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    text = page.text
    assert complaint.tracking_no in text
    assert offices[("fire_rescue", None)].name in text
    due = (complaint.due_at.astimezone(SHANGHAI) - timedelta(seconds=1))
    assert f"{due:%Y年%m月%d日}" in text and "24:00" in text
    assert "5 个工作日" in text
    assert "请记录您的投诉编号" in text
    assert "查询码" not in text
    link = Page(text).one("a", id="next-call")
    assert link["href"].endswith("/operator/") and "autofocus" in link and link.get("accesskey") == "n"


def test_anonymous_urgent_call_reads_back_the_access_code_and_short_clock(client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    response = file_call(client, complainant_phone="13900002222", anonymous="1", urgent="1",
                         institution_id=str(inst.id), category="elder_abuse",
                         description="护工正在殴打老人，请马上处理")
    assert response.status_code == 303
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.anonymous and complaint.urgent and complaint.complainant_phone == ""
    assert complaint.working_days == 1
    text = client.get(response.headers["location"]).text
    assert complaint.access_code in text
    assert "紧急" in text and "1 个工作日" in text


def test_readback_is_only_shown_to_the_operator_who_filed_it(client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    location = file_call(client, institution_id=str(inst.id), category="pricing",
                         description="随意涨价，收费不公示").headers["location"]
    client.cookies.clear()
    sign_in(client, db, Role.OPERATOR)  # another operator
    assert client.get(location).status_code == 404
    assert client.get("/operator/filed/999999").status_code == 404


def test_unregistered_place_is_filed_with_its_address_and_district(client, db):
    d, offices, _, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    response = file_call(client, unregistered="1", place_name="春风小区无名托老所",
                         place_address="东城区春风路 8 号", district_id=str(d.id),
                         category="unlicensed", description="小区里有人私自开托老所")
    assert response.status_code == 303
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.institution_id is None and complaint.place_name == "春风小区无名托老所"
    assert complaint.responsible_department_id == offices[("civil_affairs", d.id)].id


def test_missing_fields_are_explained_in_chinese_and_focus_the_first_one(client, db):
    city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    response = file_call(client, complainant_phone="12345", description="短")
    assert response.status_code == 400
    text = response.text
    assert "电话号码格式不正确" in text
    assert "请选择被投诉的机构" in text and "至少 5 个字" in text and "请选择投诉类别" in text
    # No institution and no place being described: the place-address complaints are noise.
    assert "未登记场所请填写详细地址" not in text
    page = Page(text)
    assert "autofocus" in page.one("input", name="complainant_phone")
    assert page.one("input", name="complainant_phone")["value"] == "12345"
    assert db.scalar(select(func.count()).select_from(Complaint)) == 0


def test_a_double_submitted_form_files_once(client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    key = Page(client.get("/operator/").text).one("input", name="form_key")["value"]
    fields = dict(institution_id=str(inst.id), category="pricing", form_key=key,
                  description="乱收费，收了三个月押金")
    first = file_call(client, **fields)
    second = file_call(client, **fields)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert db.scalar(select(func.count()).select_from(Complaint)) == 1


# --- hand-overs from 12345 ------------------------------------------------------------------
def test_handover_keeps_the_original_receipt_time_in_city_time(client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    original = (datetime.now(SHANGHAI) - timedelta(days=2)).replace(second=0, microsecond=0)
    response = file_call(client, channel="handover", received_at=original.strftime("%Y-%m-%dT%H:%M"),
                         institution_id=str(inst.id), category="food_safety",
                         description="12345 转来：饭菜变质，老人拉肚子")
    assert response.status_code == 303, response.text[:800]
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.channel == "handover"
    assert complaint.received_at == original.astimezone(UTC)
    assert complaint.tracking_no.startswith(f"{original:%Y%m%d}")
    assert complaint.created_at > complaint.received_at
    text = client.get(response.headers["location"]).text
    assert "12345转办" in text and original.strftime("%Y-%m-%d %H:%M") in text


@pytest.mark.parametrize(
    "channel,received_at,message",
    [
        ("handover", "", "12345 转办件请填写原始受理时间"),
        ("handover", "2026-13-45T99:00", "原始受理时间格式不正确"),
        ("handover", "yesterday", "原始受理时间格式不正确"),
        ("handover", "2026-05-11T09:30+08:00", "原始受理时间格式不正确"),
        ("handover", (datetime.now(SHANGHAI) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
         "受理时间不能晚于现在"),
        ("handover", (datetime.now(SHANGHAI) - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M"),
         "受理时间过早"),
        ("phone", "2026-05-11T09:30", "原始受理时间只用于 12345 转办件"),
        ("fax", "", "请选择来源"),
    ],
)
def test_bad_receipt_times_and_channels_are_refused_in_chinese(client, db, channel, received_at,
                                                               message):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    response = file_call(client, channel=channel, received_at=received_at,
                         institution_id=str(inst.id), category="other", description="情况描述多于五个字")
    assert response.status_code == 400
    assert message in response.text
    assert db.scalar(select(func.count()).select_from(Complaint)) == 0
    page = Page(response.text)
    focused = [a for _t, a in page.elements if "autofocus" in a]
    assert len(focused) == 1
    assert focused[0]["id"] in ("f-received_at", "f-channel-phone")


def test_a_bad_receipt_time_is_reported_together_with_other_problems(client, db):
    city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    response = file_call(client, channel="handover", received_at="", description="短")
    assert response.status_code == 400
    assert "12345 转办件请填写原始受理时间" in response.text
    assert "至少 5 个字" in response.text and "请选择投诉类别" in response.text


# --- caller history -----------------------------------------------------------------------
def test_caller_history_lists_that_phones_earlier_complaints(client, db, caplog):
    _, _, inst, other = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    file_call(client, complainant_phone="13812345678", institution_id=str(inst.id),
              category="fire_safety", description="消防通道被堵住了")
    file_call(client, complainant_phone="13812345678", institution_id=str(other.id),
              category="pricing", description="乱收费不公示", confirm_new="1")
    file_call(client, complainant_phone="13900009999", institution_id=str(inst.id),
              category="deposit", description="押金不退还")
    mine = db.scalars(select(Complaint).where(Complaint.complainant_phone == "13812345678")).all()
    theirs = db.scalars(select(Complaint).where(Complaint.complainant_phone == "13900009999")).one()
    assert len(mine) == 2
    caplog.set_level(logging.DEBUG)
    response = client.get("/operator/caller", params={"phone": "138 1234 5678"}, headers=HX)
    assert response.status_code == 200
    text = response.text
    assert text.lstrip().startswith('<section id="caller-history"')
    for c in mine:
        assert c.tracking_no in text
    assert theirs.tracking_no not in text
    assert "东城幸福颐养院" in text and "东城康乐老年公寓" in text
    assert "消防安全隐患" in text and "已派单" in text
    # The console asks by POST so the number stays out of URLs; the answer is the same.
    posted = client.post("/operator/caller", data={"complainant_phone": "13812345678"},
                         headers={**HX, "X-CSRF-Token": csrf_token(client, "/operator/")})
    assert posted.status_code == 200 and all(c.tracking_no in posted.text for c in mine)
    assert "13812345678" not in caplog.text and "1234 5678" not in caplog.text


@pytest.mark.parametrize("phone,expected", [
    ("", "输入来电号码后"), ("1381234", "号码尚不完整"), ("13700000000", "没有以往的投诉记录")])
def test_caller_history_explains_when_there_is_nothing_to_show(client, db, phone, expected):
    sign_in(client, db, Role.OPERATOR)
    response = client.get("/operator/caller", params={"phone": phone}, headers=HX)
    assert response.status_code == 200 and expected in response.text


def test_caller_history_without_javascript_is_the_console_with_the_number_filled_in(client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    file_call(client, complainant_phone="13812345678", institution_id=str(inst.id),
              category="fire_safety", description="消防通道被堵住了")
    response = client.get("/operator/caller", params={"phone": "13812345678"})
    assert response.status_code == 200
    page = Page(response.text)
    assert page.one("input", name="complainant_phone")["value"] == "13812345678"
    assert db.scalars(select(Complaint)).one().tracking_no in response.text


# --- duplicates ---------------------------------------------------------------------------
def test_same_caller_with_an_open_complaint_is_warned_and_can_link_as_duplicate(
        client, db):
    _, _, inst, other = city_with_offices(db)
    operator = sign_in(client, db, Role.OPERATOR)
    file_call(client, complainant_phone="13812345678", institution_id=str(inst.id),
              category="fire_safety", description="消防通道被堵住了")
    first = db.scalars(select(Complaint)).one()
    call = dict(complainant_phone="13812345678", institution_id=str(other.id),
                category="food_safety", description="又打来说饭菜也变质了")
    warned = file_call(client, **call)
    assert warned.status_code == 409
    assert "可能是重复投诉" in warned.text and first.tracking_no in warned.text
    assert "同一来电号码" in warned.text
    page = Page(warned.text)
    link = page.one("button", name="link_to")
    # Linking is a choice reached on purpose: the focus stays in the form (issue 21, item 5).
    assert link["value"] == str(first.id) and "autofocus" not in link
    assert "autofocus" in page.one("textarea", name="description")
    assert page.one("button", name="confirm_new")["value"] == "1"
    # The form keeps what was typed.
    assert page.one("input", name="complainant_phone")["value"] == "13812345678"
    assert db.scalar(select(func.count()).select_from(Complaint)) == 1

    linked = file_call(client, link_to=str(first.id), **call)
    assert linked.status_code == 303
    assert db.scalar(select(func.count()).select_from(Complaint)) == 1
    event = db.scalars(select(ComplaintEvent).where(ComplaintEvent.kind == "duplicate_call")).one()
    assert event.complaint_id == first.id and event.actor_id == operator.id
    assert event.public is False and event.note == "又打来说饭菜也变质了"
    assert event.data["same_caller"] is True
    assert linked.headers["location"] == f"/operator/?linked={event.id}"
    confirmation = client.get(linked.headers["location"])
    assert "已作为重复件关联" in confirmation.text and first.tracking_no in confirmation.text
    # Another operator's event id shows nothing.
    client.cookies.clear()
    sign_in(client, db, Role.OPERATOR)
    assert "已作为重复件关联" not in client.get(linked.headers["location"]).text


def test_same_institution_and_category_is_warned_and_can_be_filed_anyway(client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    file_call(client, complainant_phone="13812345678", institution_id=str(inst.id),
              category="fire_safety", description="消防通道被堵住了")
    call = dict(complainant_phone="13900001111", institution_id=str(inst.id),
                category="fire_safety", description="灭火器都过期了")
    warned = file_call(client, **call)
    assert warned.status_code == 409 and "同一机构同类问题" in warned.text
    assert "同一来电号码" not in warned.text
    filed = file_call(client, confirm_new="1", **call)
    assert filed.status_code == 303
    assert db.scalar(select(func.count()).select_from(Complaint)) == 2


def test_after_choosing_file_anyway_a_validation_error_keeps_the_choice(client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    file_call(client, complainant_phone="13812345678", institution_id=str(inst.id),
              category="fire_safety", description="消防通道被堵住了")
    response = file_call(client, complainant_phone="13812345678", institution_id=str(inst.id),
                         category="fire_safety", description="短", confirm_new="1")
    assert response.status_code == 400
    assert Page(response.text).one("input", type="hidden", name="confirm_new")["value"] == "1"


def test_closed_or_older_complaints_are_not_duplicates(client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    call = dict(complainant_phone="13812345678", institution_id=str(inst.id),
                category="fire_safety", description="消防通道被堵住了")
    file_call(client, **call)
    first = db.scalars(select(Complaint)).one()
    first.status = "closed"
    db.commit()
    assert file_call(client, **call).status_code == 303
    second = db.scalars(select(Complaint).where(Complaint.id != first.id)).one()
    second.received_at = datetime.now(UTC) - timedelta(days=31)
    db.commit()
    assert file_call(client, **call).status_code == 303
    assert db.scalar(select(func.count()).select_from(Complaint)) == 3


def test_linking_to_a_complaint_that_is_not_a_duplicate_is_refused(client, db):
    _, _, inst, other = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    file_call(client, complainant_phone="13812345678", institution_id=str(inst.id),
              category="fire_safety", description="消防通道被堵住了")
    unrelated = db.scalars(select(Complaint)).one()
    response = file_call(client, complainant_phone="13900001111", institution_id=str(other.id),
                         category="pricing", description="乱收费不公示", link_to=str(unrelated.id))
    assert response.status_code == 409
    assert "不能关联" in response.text
    assert db.scalar(select(func.count()).select_from(ComplaintEvent)
                     .where(ComplaintEvent.kind == "duplicate_call")) == 0


# --- institution picker and category suggestions ------------------------------------------
def test_pinyin_initials_find_the_institution_for_the_type_ahead(client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    response = client.get("/complaints/institution-options", params={"institution_q": "dcxf"},
                          headers=HX)
    assert Page(response.text).one("input", name="institution_id")["value"] == str(inst.id)


def test_find_button_without_javascript_keeps_the_call_and_lists_institutions(client, db):
    _, _, inst, other = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    response = file_call(client, action="find", institution_q="东城",
                         description="保留我写的内容", complainant_phone="13812345678")
    assert response.status_code == 200
    page = Page(response.text)
    values = {a["value"] for a in page.find("input", name="institution_id")}
    assert values == {str(inst.id), str(other.id)}
    assert "保留我写的内容" in response.text
    assert "autofocus" in page.one("input", name="institution_q")
    assert db.scalar(select(func.count()).select_from(Complaint)) == 0


def test_category_suggestions_come_from_the_description(client, db):
    sign_in(client, db, Role.OPERATOR)
    response = client.get("/operator/suggest-category",
                          params={"description": "走廊堆满杂物，消防通道被堵，灭火器也过期了"},
                          headers=HX)
    assert response.status_code == 200
    page = Page(response.text)
    suggested = [b["value"] for b in page.find("button", name="pick_category")]
    assert suggested[0] == "fire_safety" and len(suggested) <= 3
    assert page.one("select", name="category")
    assert "selected" not in page.one("option", value="fire_safety")


def test_accepting_a_suggestion_selects_it_in_the_category_list(client, db):
    sign_in(client, db, Role.OPERATOR)
    token = csrf_token(client, "/operator/")
    response = client.post("/operator/suggest-category", headers={**HX, "X-CSRF-Token": token},
                           data={"description": "消防通道被堵", "pick_category": "fire_safety"})
    page = Page(response.text)
    assert "selected" in page.one("option", value="fire_safety")
    assert page.one("button", value="fire_safety")["aria-pressed"] == "true"
    assert "已采用建议类别" in response.text


def test_vague_description_suggests_nothing_and_unknown_picks_are_ignored(client, db):
    sign_in(client, db, Role.OPERATOR)
    response = client.get("/operator/suggest-category",
                          params={"description": "我想反映一下情况", "pick_category": "nope"},
                          headers=HX)
    page = Page(response.text)
    assert not page.find("button", name="pick_category")
    assert not [o for o in page.find("option") if "selected" in o]


def test_picking_a_suggestion_without_javascript_redraws_the_form_with_it_chosen(client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    response = file_call(client, pick_category="fire_safety", description="消防通道被堵",
                         institution_id=str(inst.id), institution_q="")
    assert response.status_code == 200
    page = Page(response.text)
    assert "selected" in page.one("option", value="fire_safety")
    assert "autofocus" in page.one("select", name="category")
    # The chosen institution stays chosen although nothing was searched for.
    assert page.one("input", name="institution_id")["value"] == str(inst.id)
    assert db.scalar(select(func.count()).select_from(Complaint)) == 0


def test_a_repeat_call_is_linked_even_when_the_receipt_time_was_left_wrong(
        client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    file_call(client, complainant_phone="13812345678", institution_id=str(inst.id),
              category="fire_safety", description="消防通道被堵住了")
    first = db.scalars(select(Complaint)).one()
    response = file_call(client, complainant_phone="13812345678", channel="handover",
                         received_at="", institution_id=str(inst.id), category="fire_safety",
                         description="12345 转来同一问题", link_to=str(first.id))
    assert response.status_code == 303
    event = db.scalars(select(ComplaintEvent).where(ComplaintEvent.kind == "duplicate_call")).one()
    assert event.complaint_id == first.id and event.data["channel"] == "handover"


# --- the keyboard path (issue 21, item 5) -----------------------------------------------------
def test_a_phone_number_alone_is_checked_before_any_duplicate_is_looked_for(client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    file_call(client, complainant_phone="13812345678", institution_id=str(inst.id),
              category="fire_safety", description="消防通道被堵住了")
    response = file_call(client, complainant_phone="13812345678")
    assert response.status_code == 400
    assert "可能是重复投诉" not in response.text
    assert "请选择投诉类别" in response.text and "至少 5 个字" in response.text
    assert not Page(response.text).find("button", name="link_to")


def test_a_duplicate_warning_gives_the_focus_back_to_the_field_the_operator_was_in(client, db):
    _, _, inst, _ = city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    call = dict(complainant_phone="13812345678", institution_id=str(inst.id),
                category="fire_safety", description="消防通道被堵住了")
    file_call(client, **call)
    warned = file_call(client, return_focus="f-category", **call)
    assert warned.status_code == 409
    page = Page(warned.text)
    focused = [(t, a.get("id")) for t, a in page.elements if "autofocus" in a]
    assert focused == [("select", "f-category")]
    # The warning has a live region to be announced in; no button is under the focus.
    assert page.one("p", id="dup-announce")["role"] == "status"
    # A button's id (or anything not a field) is not taken as a place to go back to.
    again = Page(file_call(client, return_focus="dup-link-0", **call).text)
    assert [a.get("id") for _t, a in again.elements if "autofocus" in a] == ["f-description"]


def test_console_reuses_the_public_forms_rule_for_unregistered_place_errors(client, db):
    city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    response = file_call(client, unregistered="1", place_address="春风路 8 号",
                         category="other", description="情况描述多于五个字")
    assert response.status_code == 400
    assert "未登记场所请填写场所名称" in response.text
    assert "请选择被投诉的机构" not in response.text
    assert "autofocus" in Page(response.text).one("input", name="place_name")


def test_the_original_receipt_time_is_folded_away_for_phone_calls(client, db):
    city_with_offices(db)
    sign_in(client, db, Role.OPERATOR)
    page = Page(client.get("/operator/").text)
    assert "open" not in page.one("details", id="received-box")
    handover = file_call(client, channel="handover", received_at="", description="短")
    assert "open" in Page(handover.text).one("details", id="received-box")


@pytest.mark.parametrize("agent,chord", [
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Alt+Shift+S"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0 Safari/537.36", "Alt+S"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.0 Safari/605.1.15", "Control+Option+S"),
])
def test_the_access_key_hint_names_the_chord_of_the_operators_browser(client, db, agent, chord):
    sign_in(client, db, Role.OPERATOR)
    text = client.get("/operator/", headers={"User-Agent": agent}).text
    assert f"{chord} 受理" in text and f"（回车 / {chord}）" in text
    assert "Alt+S 受理" not in text or chord == "Alt+S"
