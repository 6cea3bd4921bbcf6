"""In chromium: the public rates an institution, the review appears only after a civil-affairs
supervisor publishes it, and the institution replies once."""

from __future__ import annotations

import pytest

from support import ARTIFACTS, browser_login

pytestmark = pytest.mark.browser
REVIEW_TEXT = "周末去探望，护理员主动介绍老人近况，房间干净，饭菜偏软适合老人。"
REPLY_TEXT = "感谢您的肯定，我们会继续保持。"


def demo_institution_id(url: str) -> int:
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.core.db import session_scope

    with session_scope(url) as db:
        inst_id = db.scalar(select(User.institution_id).where(User.username == "inst-1"))
    assert inst_id
    return inst_id


def test_review_is_published_after_moderation_and_answered_once(browser, live_server, live_db_url):
    inst_id = demo_institution_id(live_db_url)
    errors: list[str] = []

    public = browser.new_context(locale="zh-CN")
    page = public.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server}/reviews/new/{inst_id}")
    stars = {"服务态度": "5 星", "环境卫生": "5 星", "餐饮": "4 星", "医疗护理": "4 星",
             "收费透明": "3 星"}
    for dimension, choice in stars.items():
        group = page.get_by_role("group", name=dimension, exact=True)
        group.get_by_role("radio", name=choice, exact=True).check()
    page.get_by_label("评价内容（10–1000 字）").fill(REVIEW_TEXT)
    page.get_by_label("手机号码").fill("13600004321")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_load_state()
    assert page.get_by_text("评价已提交").is_visible()
    assert page.get_by_text(REVIEW_TEXT).count() == 0
    page.screenshot(path=str(ARTIFACTS / "review-submitted.png"), full_page=True)

    office = browser.new_context(locale="zh-CN")
    staff = office.new_page()
    browser_login(staff, live_server, "supervisor")
    staff.goto(f"{live_server}/reviews/moderation")
    card = staff.locator("li.review", has_text=REVIEW_TEXT)
    assert "136" not in card.inner_text()
    card.get_by_role("button", name="公开", exact=True).click()
    staff.wait_for_load_state()
    assert staff.get_by_text("已公开该评价").is_visible()
    office.close()

    page.goto(f"{live_server}/reviews/institution/{inst_id}")
    assert page.get_by_text(REVIEW_TEXT).is_visible()
    summary = page.locator(".review-summary").inner_text()
    assert "服务态度" in summary and "收费透明" in summary
    assert "13600004321" not in page.content()

    home = browser.new_context(locale="zh-CN")
    inst_page = home.new_page()
    browser_login(inst_page, live_server, "inst-1")
    inst_page.goto(f"{live_server}/reviews/institution/{inst_id}")
    card = inst_page.locator("li.review", has_text=REVIEW_TEXT)
    card.get_by_label("回复此评价（只能回复一次）").fill(REPLY_TEXT)
    card.get_by_role("button", name="提交回复").click()
    inst_page.wait_for_load_state()
    card = inst_page.locator("li.review", has_text=REVIEW_TEXT)
    assert card.get_by_text(REPLY_TEXT).is_visible()
    assert card.get_by_role("button", name="提交回复").count() == 0
    home.close()

    page.reload()
    assert page.get_by_text(REPLY_TEXT).is_visible()
    page.screenshot(path=str(ARTIFACTS / "review-published.png"), full_page=True)
    public.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
