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

    # Taken, the focus moves on to the category list (past the other suggestions).
    page.wait_for_function("document.activeElement && document.activeElement.id === 'f-category'")
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


# --- issue 21, item 5: the keystrokes of a routine call, and a warning that is no trap ----------
KEYSTROKE_TARGET = 35


class Keys:
    """The operator's key presses after the phone number, counted: every Tab, Enter, Space,
    arrow and typed letter. The caller's own words (name, description) are entered as an input
    method commits them and counted apart: they are the call, not the console's cost."""

    def __init__(self, page) -> None:
        self.page, self.count, self.words = page, 0, 0

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)
            self.count += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.count += len(text)

    def say(self, text: str) -> None:
        self.page.keyboard.insert_text(text)
        self.words += len(text)


def sign_in(page, live_server: str, username: str) -> None:
    page.goto(live_server + "/accounts/login?next=/operator/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    page.wait_for_url("**/operator/")


def test_a_routine_call_takes_at_most_35_keystrokes_after_the_phone_number(
        page, live_server, operator_username):
    sign_in(page, live_server, operator_username)
    assert focused_id(page) == "f-complainant_phone"
    page.keyboard.type(f"137{secrets.randbelow(10**8):08d}")
    page.locator("#caller-history").get_by_text("没有以往的投诉记录").wait_for()

    keys = Keys(page)
    keys.press("Tab")
    keys.say("王女士")
    keys.press("Tab", 2)  # past 匿名 to the institution
    assert focused_id(page) == "f-institution"
    keys.type("kl")
    choice = page.locator("#institution-options").get_by_label("康乐老年公寓")
    choice.wait_for()
    keys.press("Tab", 2)  # past 查找 to the choices
    keys.press("Space")
    for _ in range(10):
        if choice.is_checked():
            break
        keys.press("ArrowDown")
    assert choice.is_checked()
    keys.press("Tab", 2)  # past 找不到？
    assert focused_id(page) == "f-description"
    keys.say("饭菜变质发霉，老人吃了拉肚子，食堂也不让家属看")
    first = page.locator("#category-field button[name=pick_category]").first
    first.wait_for()
    code = first.get_attribute("value")
    keys.press("Tab")
    assert focused_id(page) == f"suggest-{code}"
    keys.press("Enter")
    page.get_by_text("已采用建议类别").wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'f-category'")
    assert page.locator("#f-category").input_value() == code
    # Enter on the category list files the call (static/operator-console.js).
    with page.expect_navigation():
        keys.press("Enter")
    page.wait_for_url("**/operator/filed/*")
    print(f"\noperator keystrokes after the phone number: {keys.count} "
          f"(target ≤ {KEYSTROKE_TARGET}; the caller's words, {keys.words} characters, apart)")
    assert page.locator("#tracking-no").inner_text().isdigit()
    assert keys.count <= KEYSTROKE_TARGET


def test_enter_after_a_duplicate_warning_does_not_link_the_call(
        page, live_server, live_db_url, operator_username):
    from sqlalchemy import func, select

    from complaints.models import ComplaintEvent

    def duplicate_events() -> int:
        with session_scope(live_db_url) as db:
            return db.scalar(select(func.count()).select_from(ComplaintEvent)
                             .where(ComplaintEvent.kind == "duplicate_call"))

    phone = f"136{secrets.randbelow(10**8):08d}"
    sign_in(page, live_server, operator_username)

    def call() -> None:
        page.locator("#f-complainant_phone").fill(phone)
        page.locator("#f-institution").fill("长青")
        page.locator("#institution-options").get_by_label("长青社区日间照料中心").check()
        with page.expect_response("**/operator/suggest-category"):
            page.locator("#f-description").fill("护工态度很差，经常大声呵斥老人")
        page.locator("#f-category").select_option("other")
        page.locator("#f-category").focus()

    call()
    # The hand-over time is folded: from 紧急 the Tab stops are 来源, its summary, 受理.
    page.locator("#f-urgent").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('accesskey')") == "s"
    page.locator("#f-category").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url("**/operator/filed/*")

    before = duplicate_events()
    page.goto(live_server + "/operator/")
    call()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    warning = page.locator("#duplicates")
    warning.wait_for()
    # The warning is announced; the focus is back where the operator pressed Enter.
    page.locator("#dup-announce").get_by_text("可能是重复投诉").wait_for()
    assert focused_id(page) == "f-category"
    # Enter again only warns again: nothing is linked, nothing is filed.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    warning.wait_for()
    assert "linked=" not in page.url and "/filed/" not in page.url
    assert duplicate_events() == before
    assert focused_id(page) == "f-category"
    page.screenshot(path=str(ARTIFACTS / "operator-duplicate-warning.png"), full_page=True)
