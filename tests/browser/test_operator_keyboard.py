"""The operator console in a real chromium: a phone call filed with the keyboard alone."""

from __future__ import annotations

import secrets
import uuid

import pytest

from portal.accounts.rules.roles import Role
from portal.core.db import get_engine, session_scope

from factories import PASSWORD, user
from support import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def operator_username(live_db_url: str) -> str:
    """A hotline operator of its own, so no other test's calls show up as this one's."""
    with session_scope(live_db_url) as db:
        username = user(db, Role.OPERATOR, username=f"op-{uuid.uuid4().hex[:8]}").username
    get_engine(live_db_url).dispose()
    return username


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_operator_files_a_call_with_the_keyboard_and_reads_back(page, live_server,
                                                                operator_username):
    phone = f"139{secrets.randbelow(10**8):08d}"  # the live server is shared by other tests
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(live_server + "/accounts/login?next=/operator/")
    page.get_by_label("用户名").fill(operator_username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    page.wait_for_url("**/operator/")

    # The caller's number has the focus; history appears as it is typed.
    assert focused_id(page) == "f-complainant_phone"
    page.keyboard.type(phone)
    page.locator("#caller-history").get_by_text("没有以往的投诉记录").wait_for()

    page.keyboard.press("Tab")
    assert focused_id(page) == "f-complainant_name"
    page.keyboard.type("李先生")
    page.keyboard.press("Tab")
    assert focused_id(page) == "f-anonymous"
    page.keyboard.press("Tab")
    assert focused_id(page) == "f-institution"

    # Two pinyin initials find 幸福里颐养院; Tab past 查找 to its radio button.
    page.keyboard.type("xf")
    choice = page.locator("#institution-options").get_by_label("幸福里颐养院")
    choice.wait_for()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "institution_id"
    page.keyboard.press("Space")
    for _ in range(10):  # should other names share the initials, arrow down to it
        if choice.is_checked():
            break
        page.keyboard.press("ArrowDown")
    assert choice.is_checked()

    page.keyboard.press("Tab")  # 找不到？(the unregistered-place summary)
    page.keyboard.press("Tab")
    assert focused_id(page) == "f-description"
    page.keyboard.type("走廊堆满杂物，消防通道被堵住了，晚上没人值班")

    # The suggested category is the next Tab stop; Enter accepts it.
    suggestion = page.locator("#suggest-fire_safety")
    suggestion.wait_for()
    page.keyboard.press("Tab")
    assert focused_id(page) == "suggest-fire_safety"
    page.keyboard.press("Enter")
    page.get_by_text("已采用建议类别").wait_for()
    assert page.locator("#f-category").input_value() == "fire_safety"

    page.keyboard.press("Tab")
    assert focused_id(page) == "f-category"
    page.keyboard.press("Tab")
    assert focused_id(page) == "f-urgent"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if page.locator("#duplicates").count():
        # Another test filed a fire-safety complaint about this institution: file anyway.
        page.get_by_role("button", name="仍然新建").press("Enter")
    page.wait_for_url("**/operator/filed/*")
    panel = page.locator(".readback")
    number = panel.locator("#tracking-no").inner_text()
    assert len(number) == 16 and number.isdigit()  # the day and 8 digits (complaints/rules/numbers.py)
    assert "消防救援" in panel.inner_text()  # the district 大队 or the city 支队
    assert "24:00" in panel.inner_text()
    assert page.get_by_text("请记录您的投诉编号").is_visible()
    assert focused_id(page) == "next-call"
    page.screenshot(path=str(ARTIFACTS / "operator-readback.png"), full_page=True)

    # 下一个来电: back to an empty console with the number field focused; the history knows
    # the call just filed.
    page.keyboard.press("Enter")
    page.wait_for_url("**/operator/")
    assert focused_id(page) == "f-complainant_phone"
    page.keyboard.type(phone)
    page.locator("#caller-history").get_by_text(number).wait_for()
    assert not [e for e in errors if "Content Security Policy" in e], errors
