"""The home page in a real chromium: Chinese text, large-text mode that survives a reload."""

from __future__ import annotations

import pytest

from support import ARTIFACTS

pytestmark = pytest.mark.browser


def body_font_px(page) -> float:
    return float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))


def test_home_renders_chinese_and_large_text_survives_reload(page, live_server):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(live_server + "/")
    assert "养老服务监督公开平台" in page.title()
    assert page.get_by_text("监督电话").first.is_visible()
    normal = body_font_px(page)
    assert normal >= 16
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)

    page.get_by_role("button", name="大字模式").click()
    page.wait_for_load_state()
    large = body_font_px(page)
    assert large >= 18 and large > normal

    page.reload()
    assert body_font_px(page) == large
    page.screenshot(path=str(ARTIFACTS / "home-large-text.png"), full_page=True)

    toggle = page.get_by_role("button", name="大字模式")
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    page.wait_for_load_state()
    assert body_font_px(page) == normal
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_chinese_glyphs_render_with_a_cjk_font(page, live_server):
    page.goto(live_server + "/")
    width = page.evaluate(
        """() => { const c = document.createElement('canvas').getContext('2d');
        c.font = '20px "Noto Sans CJK SC"'; return [c.measureText('养').width, c.measureText('老').width]; }"""
    )
    # Missing fonts draw the same tofu box for every character; real glyphs are full-width.
    assert width[0] >= 18


def test_directory_filters_in_place_with_htmx_and_updates_the_url(page, live_server):
    page.goto(live_server + "/institutions/")
    page.get_by_label("机构名称").fill("康乐老年")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**q=%E5%BA%B7%E4%B9%90%E8%80%81%E5%B9%B4**")
    results = page.locator("#results")
    assert "康乐老年公寓" in results.inner_text()
    assert "幸福里颐养院" not in results.inner_text()


def test_keyboard_focus_is_visible(page, live_server):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
