"""In chromium: the public files a complaint, the district office signs and answers it from its
queue, and the complainant tracks it and closes it with feedback."""

from __future__ import annotations

import re

import pytest

from support import ARTIFACTS, browser_file_complaint, browser_login

pytestmark = pytest.mark.browser


def _sms_code(db_url: str, phone: str) -> str:
    """The feedback code the portal sent by SMS (the outbox row holds its text)."""
    from sqlalchemy import select

    from portal.core.db import session_scope
    from portal.core.notify import Notification

    with session_scope(db_url) as db:
        body = db.scalars(select(Notification.body).where(
            Notification.recipient == phone, Notification.subject == "评价验证码")
            .order_by(Notification.id.desc())).first()
    return re.search(r"验证码 (\d{6})", body).group(1)


def test_public_complaint_is_answered_from_the_queue_and_tracked(browser, live_server, live_db_url):
    public = browser.new_context(locale="zh-CN")
    page = public.new_page()
    number = browser_file_complaint(page, live_server, typed="康乐老年", home="康乐老年公寓",
                                    text="夜里按呼叫铃半小时没人来，老人尿湿了床。",
                                    phone="13566667777")
    assert "东城区民政局" in page.locator(".readback").inner_text()
    page.screenshot(path=str(ARTIFACTS / "complaint-readback.png"), full_page=True)

    office = browser.new_context(locale="zh-CN")
    staff = office.new_page()
    browser_login(staff, live_server, "dept-civil_affairs-dcq")
    assert "投诉办理" in staff.title() or staff.get_by_text("投诉办理").first.is_visible()
    staff.get_by_role("link", name=number).click()
    staff.get_by_role("button", name="签收").click()
    staff.wait_for_load_state()
    staff.get_by_label("查实", exact=True).check()
    staff.get_by_label("答复内容（将公开给投诉人）").fill("已核实，夜班增加一名护理员，呼叫铃响应不超过5分钟。")
    staff.get_by_role("button", name="提交答复").click()
    staff.wait_for_load_state()
    assert staff.get_by_text("已答复").first.is_visible()
    staff.screenshot(path=str(ARTIFACTS / "department-answered.png"), full_page=True)
    office.close()

    page.goto(live_server + "/complaints/track")
    page.get_by_label("投诉编号").fill(number)
    page.get_by_label("手机号后四位（匿名投诉请填查询码）").fill("7777")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state()
    assert page.get_by_text("夜班增加一名护理员").first.is_visible()
    # A lookup by number + phone digits gives feedback only with a code sent to the phone.
    page.get_by_role("button", name="获取短信验证码").click()
    page.wait_for_load_state()
    assert page.get_by_text("验证码已发送到 135****7777").is_visible()
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("短信验证码").fill(_sms_code(live_db_url, "13566667777"))
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_load_state()
    assert page.get_by_text("已办结").first.is_visible()
    public.close()
