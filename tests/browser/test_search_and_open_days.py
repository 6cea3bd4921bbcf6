"""In chromium: search narrowed by facets (htmx and without JavaScript give the same answer), and
an open day from publication through sign-up to cancellation by the signed link."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from portal.core.db import session_scope

from factories.opendays import sms_code
from support import ARTIFACTS, browser_login

pytestmark = pytest.mark.browser
COUNT_RE = re.compile(r"共 (\d+) 家")
OPTION_RE = re.compile(r"^(.+)（(\d+)）$")


def result_count(page) -> int:
    return int(COUNT_RE.search(page.locator(".result-count").inner_text()).group(1))


def result_names(page) -> list[str]:
    return page.locator(".result-list .result h2").all_inner_texts()


def facet_options(page, select: str) -> list[tuple[str, str, int]]:
    """(value, label, count) of a facet's options, the "all" option left out."""
    found = []
    for option in page.locator(f"{select} option").all():
        value = option.get_attribute("value")
        match = OPTION_RE.match(option.inner_text().strip())
        if value and match:
            found.append((value, match.group(1), int(match.group(2))))
    return found


def test_search_facets_narrow_the_results_with_htmx_and_without_javascript(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server + "/search?q=" + "护理")
    total = result_count(page)
    districts = facet_options(page, "#s-district")
    assert total > 1 and len(districts) > 1
    # The facet counts add up to the total: every institution sits in one district.
    assert sum(count for _, _, count in districts) == total
    value, label, count = min(districts, key=lambda d: d[2])
    assert count < total

    page.select_option("#s-district", value)  # htmx: the list is swapped in place
    page.wait_for_url(re.compile(r"district=" + value))
    page.locator(".chip", has_text=label).wait_for()
    assert result_count(page) == count
    lines = page.locator(".result-list .result p").all_inner_texts()
    assert sum(1 for line in lines if line.startswith(label)) == min(count, 20)
    with_htmx = result_names(page)
    page.screenshot(path=str(ARTIFACTS / "search-facet.png"), full_page=True)

    # The URL is shareable: without JavaScript the same address gives the same list.
    plain = browser.new_context(locale="zh-CN", java_script_enabled=False)
    nojs = plain.new_page()
    nojs.goto(page.url)
    assert result_count(nojs) == count and result_names(nojs) == with_htmx
    plain.close()

    # Removing the condition (the chip) brings every result back; Back returns to the facet.
    page.locator(".chip", has_text=label).click()
    page.wait_for_url(lambda url: "district=" not in url)
    assert result_count(page) == total
    page.go_back()
    page.wait_for_url(re.compile(r"district=" + value))
    assert result_count(page) == count
    context.close()


def test_open_day_published_signed_up_for_and_cancelled(browser, live_server, live_db_url):
    errors: list[str] = []
    staff = browser.new_context(locale="zh-CN")
    page = staff.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser_login(page, live_server, "inst-2")
    page.goto(live_server + "/opendays/new")
    start = (datetime.now() + timedelta(days=10)).replace(hour=9, minute=30, second=0)
    fmt = "%Y-%m-%dT%H:%M"
    page.get_by_label("活动名称").fill("浏览器测试开放日")
    page.get_by_label("开始时间").fill(start.strftime(fmt))
    page.get_by_label("结束时间").fill((start + timedelta(hours=2)).strftime(fmt))
    page.get_by_label("报名截止时间").fill((start - timedelta(days=1)).strftime(fmt))
    page.get_by_label("活动地点").fill("一楼多功能厅")
    page.get_by_label("名额").fill("2")
    page.get_by_role("button", name="发布").click()
    assert page.get_by_text("开放日已发布").is_visible()
    event_url = page.url.split("?")[0]
    staff.close()

    public = browser.new_context(locale="zh-CN")
    visitor = public.new_page()
    visitor.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    visitor.goto(live_server + "/opendays/")
    visitor.get_by_role("link", name="浏览器测试开放日").first.click()
    assert visitor.url.split("?")[0] == event_url
    assert "共 2 人，剩余 2 人" in visitor.locator("dl.facts").inner_text()

    visitor.get_by_label("姓名").fill("王秀兰")
    visitor.get_by_label("手机号码").fill("13912340000")
    visitor.get_by_label("家属").check()
    visitor.get_by_role("button", name="提交报名").click()
    # One extra step: the code sent by SMS (read here from the outbox, as the phone would).
    assert visitor.get_by_role("heading", name="还差一步：请输入短信验证码").is_visible()
    with session_scope(live_db_url) as db:
        code = sms_code(db, "13912340000")
    visitor.get_by_role("textbox", name="短信验证码").fill(code)
    visitor.get_by_role("button", name="确认报名").click()
    assert visitor.get_by_role("heading", name="报名成功").is_visible()
    facts = visitor.locator("dl.facts").inner_text()
    assert "139****0000" in facts and "13912340000" not in visitor.content()
    my_signup = visitor.url  # the signed link, also sent by SMS
    visitor.goto(event_url)
    assert "剩余 1 人" in visitor.locator("dl.facts").inner_text()

    visitor.goto(my_signup)
    visitor.get_by_role("button", name="取消报名").click()
    assert visitor.get_by_text("报名已取消，名额已释放").is_visible()
    assert "已取消" in visitor.locator("dl.facts").inner_text()
    assert visitor.get_by_role("button", name="取消报名").count() == 0
    visitor.goto(event_url)
    assert "剩余 2 人" in visitor.locator("dl.facts").inner_text()
    visitor.screenshot(path=str(ARTIFACTS / "open-day-after-cancel.png"), full_page=True)
    public.close()
    assert errors == []
