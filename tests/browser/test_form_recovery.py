"""In chromium on a phone (390 × 844): a complaint typed while the cookie expired is kept and
filed on the next click (issue 21 item 8); a form with mistakes opens at its error summary,
focused, with only the problems of fields the user chose and every field kept (item 11)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.db import session_scope, utcnow
from portal.institutions.models import Institution
from portal.opendays.models import OpenDay

from support import ARTIFACTS

pytestmark = pytest.mark.browser

PHONE_VIEW = {"width": 390, "height": 844}
EXPLANATION = "页面停留时间较长，为保护您的信息安全需要重新确认，您填写的内容已保留"
DESCRIPTION = "夜里按呼叫铃半小时没人来，老人尿湿了床，护工说人手不够。"
INSTITUTION_LABEL = "机构名称（输入名称中的字或拼音首字母）"


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE_VIEW)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield tab
    context.close()
    # The form shown again is itself a 400 or 403 answer, which chromium logs; nothing else.
    own_status = re.compile(r"^Failed to load resource: .* status of 40[03] ")
    assert [e for e in errors if not own_status.match(e)] == []  # no CSP or script error


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + min(box["height"], 200) <= 844


def summary_links(page) -> list[str]:
    return [a.get_attribute("href") for a in page.locator("#form-errors a").all()]


def test_a_complaint_typed_while_the_cookie_expired_is_kept_and_filed(phone, live_server):
    phone.goto(live_server + "/complaints/new")
    phone.get_by_label(INSTITUTION_LABEL).fill("康乐老年")
    choice = phone.get_by_role("radio", name=re.compile("康乐老年公寓"))
    choice.check()  # offered by the type-ahead, chosen by the user
    phone.get_by_label("问题类别").select_option("service_quality")
    phone.get_by_label("具体情况（时间、地点、经过）").fill(DESCRIPTION)
    phone.get_by_label("手机号码").fill("13566668888")

    phone.context.clear_cookies()  # the browser was closed, or the page stood open too long
    phone.get_by_role("button", name="提交投诉").click()
    phone.wait_for_load_state()
    assert EXPLANATION in phone.locator("#form-errors").inner_text()
    assert focused_id(phone) == "form-errors" and in_viewport(phone, "#form-errors")
    assert phone.get_by_label("具体情况（时间、地点、经过）").input_value() == DESCRIPTION
    assert phone.get_by_label("手机号码").input_value() == "13566668888"
    assert phone.get_by_label("问题类别").input_value() == "service_quality"
    assert choice.is_checked()
    phone.screenshot(path=str(ARTIFACTS / "complaint-kept-after-expiry.png"), full_page=True)

    phone.get_by_role("button", name="提交投诉").click()
    phone.wait_for_load_state()
    assert phone.get_by_text("投诉已受理").is_visible()


def test_the_empty_complaint_form_opens_at_its_focused_summary(phone, live_server):
    phone.goto(live_server + "/complaints/new")
    phone.get_by_label("手机号码").fill("13566669999")
    phone.get_by_role("button", name="提交投诉").click()
    phone.wait_for_load_state()
    assert focused_id(phone) == "form-errors" and in_viewport(phone, "#form-errors")
    assert summary_links(phone) == ["#f-institution", "#f-category", "#f-description"]
    assert "未登记场所" not in phone.locator("#form-errors").inner_text()
    assert phone.get_by_label("手机号码").input_value() == "13566669999"
    phone.screenshot(path=str(ARTIFACTS / "complaint-errors-phone.png"))
    # A link of the summary takes the keyboard to its field.
    phone.locator("#form-errors a[href='#f-description']").click()
    assert focused_id(phone) == "f-description" and in_viewport(phone, "#f-description")


def test_without_javascript_the_summary_still_takes_the_focus(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE_VIEW, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/complaints/new")
    page.get_by_role("button", name="提交投诉").click()
    page.wait_for_load_state()
    page.locator("#form-errors").wait_for()
    assert focused_id(page) == "form-errors" and in_viewport(page, "#form-errors")
    context.close()


@pytest.fixture
def open_day(live_db_url) -> int:
    with session_scope(live_db_url) as db:
        inst = db.scalars(select(Institution).order_by(Institution.id)).first()
        now = utcnow()
        row = OpenDay(institution_id=inst.id, title="手机报名测试开放日",
                      starts_at=now + timedelta(days=6), ends_at=now + timedelta(days=6, hours=2),
                      signup_deadline=now + timedelta(days=5), place="一楼大厅", capacity=20,
                      seats_taken=0, status="scheduled",
                      description="参观房间、食堂和康复室。\n" * 12)
        db.add(row)
        db.flush()
        return row.id


def test_the_open_day_form_opens_at_its_focused_summary_with_the_phone_kept(
        phone, live_server, open_day):
    phone.goto(f"{live_server}/opendays/{open_day}")
    phone.get_by_label("手机号码").fill("13912349999")
    phone.get_by_role("button", name="提交报名").click()
    phone.wait_for_load_state()
    assert focused_id(phone) == "form-errors" and in_viewport(phone, "#form-errors")
    assert summary_links(phone) == ["#f-name", "#f-identity"]
    assert phone.get_by_label("手机号码").input_value() == "13912349999"
    phone.screenshot(path=str(ARTIFACTS / "open-day-errors-phone.png"))


def test_the_summaries_have_no_serious_accessibility_violations(browser, live_server, open_day):
    from test_accessibility import serious_violations

    # bypass_csp lets the test inject axe; the portal itself never allows inline scripts.
    context = browser.new_context(locale="zh-CN", viewport=PHONE_VIEW, bypass_csp=True)
    page = context.new_page()
    found = {}
    for path, button in [("/complaints/new", "提交投诉"), (f"/opendays/{open_day}", "提交报名")]:
        page.goto(live_server + path)
        page.get_by_role("button", name=button).click()  # empty: the problems' summary
        page.wait_for_load_state()
        found[path] = serious_violations(page)
        context.clear_cookies()
        page.get_by_role("button", name=button).click()  # stale: the explanation
        page.wait_for_load_state()
        assert EXPLANATION in page.locator("#form-errors").inner_text()
        found[path + " (stale)"] = serious_violations(page)
    context.close()
    assert {path: problems for path, problems in found.items() if problems} == {}
