"""In chromium: a department typing an answer that holds personal data sees a live hint and may
still submit it; the complainant's tracking page shows it masked."""

from __future__ import annotations

import re

import pytest

from support import ARTIFACTS, browser_login

pytestmark = pytest.mark.browser


def test_typing_a_phone_into_an_answer_warns_and_still_submits(browser, live_server):
    public = browser.new_context(locale="zh-CN")
    page = public.new_page()
    page.goto(live_server + "/complaints/new")
    page.get_by_label("机构名称（输入名称中的字或拼音首字母）").fill("康乐老年")
    page.get_by_role("radio", name=re.compile("康乐老年公寓")).check()
    page.get_by_label("问题类别").select_option("service_quality")
    page.get_by_label("具体情况（时间、地点、经过）").fill("护理员态度恶劣，多次呵斥老人。")
    page.get_by_label("手机号码").fill("13566668888")
    page.get_by_role("button", name="提交投诉").click()
    page.wait_for_load_state()
    number = page.locator(".readback .big-number").first.inner_text().strip()
    tracking = page.url

    office = browser.new_context(locale="zh-CN")
    staff = office.new_page()
    browser_login(staff, live_server, "dept-civil_affairs-dcq")
    staff.get_by_role("link", name=number).click()
    staff.get_by_label("查实", exact=True).check()
    answer = staff.get_by_label("答复内容（将公开给投诉人）")
    answer.fill("已电话联系投诉人（135 6666 8888），护理员已调岗。")
    hint = staff.locator("#pd-answer")
    hint.get_by_text("手机号码").wait_for()  # the live hint (htmx) names what it found
    staff.screenshot(path=str(ARTIFACTS / "answer-personal-data-hint.png"), full_page=True)
    hint.get_by_role("button", name="仍然提交").click()
    staff.wait_for_load_state()
    assert staff.get_by_text("已答复").first.is_visible()
    assert staff.get_by_text("135 6666 8888").first.is_visible()  # the office reads it as written
    office.close()

    page.goto(tracking.split("?")[0])
    assert page.get_by_text("已电话联系投诉人（135****8888），护理员已调岗。").first.is_visible()
    assert "135 6666 8888" not in page.content()
    public.close()
