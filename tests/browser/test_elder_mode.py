"""Elder mode in chromium on a phone (390 × 844): large text and high contrast together on the
pages elders use most — type measured at ≥ 22 px, nothing wider than the screen, every text at
≥ 7:1 by computed colours, focus visible, axe clean — the toggles without JavaScript, and 朗读
reading <main> aloud in zh-CN (issue 21, "Elder mode complete"; 《互联网网站适老化通用设计规范》)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import ARTIFACTS

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
PHONE = {"width": 390, "height": 844}
PAGES = {
    "home": "/",
    "directory": "/institutions/",
    "institution": "/institutions/1",
    "complaint-form": "/complaints/new",
}
BODY_PX = 22  # issue 21: large text makes body text at least 22 px
CONTRAST = 7.0  # WCAG 2.1 SC 1.4.6 (AAA), the high-contrast theme's promise

# Every visible element that holds text of its own, with its computed size and colours; the
# background is the first opaque one found walking up (the theme paints every element).
TEXTS = """(root) => {
    const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
    const lum = c => {
        const [r, g, b] = c.slice(0, 3).map(v => v / 255)
            .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ground = el => {
        for (let e = el; e; e = e.parentElement) {
            const c = rgb(getComputedStyle(e).backgroundColor);
            if (c.length === 3 || c[3] > 0.99) return c;
        }
        return [255, 255, 255];
    };
    const out = [];
    for (const el of document.querySelector(root).querySelectorAll('*')) {
        const own = [...el.childNodes].some(n => n.nodeType === 3 && n.nodeValue.trim());
        const s = getComputedStyle(el);
        if (!own || !el.getClientRects().length || s.visibility === 'hidden') continue;
        if (el.closest('.visually-hidden, .skip-link, svg, [hidden]')) continue;
        const a = lum(rgb(s.color)), b = lum(ground(el));
        out.push({
            tag: el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''),
            text: [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.nodeValue.trim()).join('').slice(0, 20),
            px: parseFloat(s.fontSize),
            ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
        });
    }
    return out;
}"""

# Elements that reach past the right edge of the window, unless a scrolling box holds them.
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const held = el => {
        for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
            if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX)) return true;
        }
        return false;
    };
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.width && r.right > width + 1 && !held(el) && !el.closest('.skip-link, .visually-hidden'))
            wide.push(el.tagName.toLowerCase() + '.' + String(el.className) + ' ' + Math.round(r.right));
    }
    return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 8)};
}"""


def axe_violations(page, rules: dict) -> list[str]:
    page.evaluate(AXE)
    return list(page.evaluate(
        """async (only) => {
            const r = await axe.run(document, {runOnly: only});
            return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
        }""", rules))


@pytest.fixture
def elder_phone(browser, live_server):
    """A phone with large text and high contrast switched on (the cookies the toggles set)."""
    # bypass_csp lets the test inject axe; the portal itself never allows inline scripts.
    context = browser.new_context(locale="zh-CN", viewport=PHONE, bypass_csp=True)
    context.add_cookies([{"name": name, "value": "1", "url": live_server}
                         for name in ("portal_large_text", "portal_high_contrast")])
    yield context.new_page()
    context.close()


# The institution page's fee and record tables are wider than a phone in any type size until
# static/css/phone.css (branch s21-phone, issue 21 item 1) turns them into labelled cards; with
# it merged the mark lifts itself and the page must pass like the others.
TABLES_AS_CARDS = (Path(__file__).resolve().parents[2] / "static" / "css" / "phone.css").exists()
CASES = [pytest.param(name, marks=pytest.mark.xfail(
    not TABLES_AS_CARDS, strict=True, reason="tables become cards with phone.css (item 1)"))
    if name == "institution" else name for name in PAGES]


@pytest.mark.parametrize("name", CASES)
def test_large_text_and_high_contrast_on_a_phone(elder_phone, live_server, name):
    page = elder_phone
    page.goto(live_server + PAGES[name])
    assert page.evaluate("document.documentElement.className") == "large-text high-contrast"
    problems: dict[str, object] = {}

    # Type: body text at 22 px or more, every text in <main> too, headings larger still.
    body_px = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    texts = page.evaluate(TEXTS, "main")
    assert body_px >= BODY_PX and texts
    if small := [t for t in texts if t["px"] < BODY_PX]:
        problems["text under 22 px"] = small[:5]
    h1 = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main h1')).fontSize)")
    if h1 < BODY_PX * 1.2:
        problems["h1 not larger"] = h1

    # Nothing wider than the screen: the page does not scroll sideways.
    wide = page.evaluate(OVERFLOW)
    if wide["scroll"] > wide["width"] or wide["wide"]:
        problems["overflow"] = wide

    # Contrast by computed colours: every text on the page (body text first of all) ≥ 7:1.
    if low := [t for t in page.evaluate(TEXTS, "body") if t["ratio"] < CONTRAST]:
        problems["contrast under 7:1"] = low[:5]

    page.screenshot(path=str(ARTIFACTS / f"elder-{name}-phone-top.png"))
    # The focus is visible: a thick outline in a colour that stands out from the black.
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the site name
    ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }""")
    if ring[0] == "none" or ring[1] < 3 or ring[2] != "rgb(255, 230, 0)":
        problems["focus outline"] = ring

    page.screenshot(path=str(ARTIFACTS / f"elder-{name}-phone.png"), full_page=True)
    # axe: the AA rules (color-contrast among them), and the AAA contrast rule (7:1).
    if found := axe_violations(page, {"type": "tag", "values": [
            "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}):
        problems["axe"] = found
    if found := axe_violations(page, {"type": "rule", "values": ["color-contrast-enhanced"]}):
        problems["axe AAA contrast"] = found
    assert problems == {}


def test_the_guard_measures_a_low_contrast_text(browser):
    """The contrast measure can fail: grey on white (2.3:1) is reported."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content('<main><p style="color:#aaa;background:#fff">灰字</p>'
                     '<p style="color:#000">黑字</p></main>')
    ratios = {t["text"]: t["ratio"] for t in page.evaluate(TEXTS, "main")}
    context.close()
    assert ratios["灰字"] < 3 and ratios["黑字"] == pytest.approx(21)


def test_the_toggles_work_without_javascript_and_are_remembered(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server + "/institutions/?page=2")
        contrast = page.get_by_role("button", name="高对比度")
        assert contrast.get_attribute("aria-pressed") == "false"
        with page.expect_navigation():
            contrast.click()
        assert page.url.endswith("/institutions/?page=2")  # back where the button was pressed
        assert page.get_by_role("button", name="高对比度").get_attribute("aria-pressed") == "true"
        with page.expect_navigation():
            page.get_by_role("button", name="大字模式").click()
        assert page.get_by_role("button", name="大字模式").get_attribute("aria-pressed") == "true"
        # No JavaScript, no speech: the 朗读 buttons stay hidden.
        assert page.locator("#read-aloud").is_hidden()
        page.goto(live_server + "/complaints/new")
        assert page.locator("html").get_attribute("class") == "large-text high-contrast"
        cookies = {c["name"]: c["value"] for c in context.cookies()}
    finally:
        context.close()
    assert cookies["portal_high_contrast"] == "1" and cookies["portal_large_text"] == "1"


def test_high_contrast_repaints_the_page_black_with_yellow_links(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(live_server + "/")
        colours = "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
        assert page.evaluate(colours) == ["rgb(255, 255, 255)", "rgb(26, 26, 26)"]
        page.screenshot(path=str(ARTIFACTS / "elder-toggles-normal-phone.png"))
        with page.expect_navigation():
            page.get_by_role("button", name="高对比度").click()
        assert page.evaluate(colours) == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
        link = page.locator("main a").first
        assert link.evaluate("a => getComputedStyle(a).color") == "rgb(255, 230, 0)"
        with page.expect_navigation():
            page.get_by_role("button", name="高对比度").click()
        assert page.evaluate(colours) == ["rgb(255, 255, 255)", "rgb(26, 26, 26)"]
    finally:
        context.close()


def test_high_contrast_keeps_charts_on_their_white_card_at_desktop_size(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900},
                                  bypass_csp=True)
    context.add_cookies([{"name": "portal_high_contrast", "value": "1", "url": live_server}])
    page = context.new_page()
    try:
        page.goto(live_server + "/stats/")
        card = page.locator(".chart-picture").first
        assert card.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
        page.screenshot(path=str(ARTIFACTS / "elder-stats-desktop.png"))
        assert axe_violations(page, {"type": "tag", "values": [
            "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}) == []
    finally:
        context.close()


# Chromium headless has no voices, so the page's speechSynthesis is replaced before any script
# runs (Playwright's add_init_script) by a stub that records what it is asked; the real
# SpeechSynthesisUtterance is kept, so the text and language read are the page's own.
SPEECH_STUB = """(() => {
    const calls = {spoken: [], cancel: 0, pause: 0, resume: 0};
    window.__speech = calls;
    const stub = {
        speak(u) { calls.spoken.push(u); this.speaking = true; },
        cancel() { calls.cancel += 1; this.speaking = false; this.paused = false; },
        pause() { calls.pause += 1; this.paused = true; },
        resume() { calls.resume += 1; this.paused = false; },
        getVoices() { return []; }, speaking: false, paused: false, pending: false,
        addEventListener() {}, removeEventListener() {},
    };
    Object.defineProperty(window, 'speechSynthesis', {value: stub, configurable: true});
})();"""
NO_SPEECH = "Object.defineProperty(window, 'speechSynthesis', {value: undefined, configurable: true});"


def test_read_aloud_speaks_the_main_content_in_chinese_by_keyboard(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.add_init_script(SPEECH_STUB)
    page = context.new_page()
    try:
        page.goto(live_server + "/institutions/1")
        toggle = page.get_by_role("button", name="朗读", exact=True)
        assert toggle.is_visible() and toggle.get_attribute("aria-pressed") == "false"
        assert page.locator("#read-aloud-pause").is_hidden()
        toggle.focus()
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-pressed") == "true"
        spoken = page.evaluate("window.__speech.spoken.map(u => [u.lang, u.text])")
        assert spoken and all(lang == "zh-CN" for lang, _ in spoken)
        # One utterance at a time; each one's end starts the next, the last one's ends reading.
        count = 0
        while toggle.get_attribute("aria-pressed") == "true" and count < 500:
            page.evaluate("window.__speech.spoken.at(-1).onend()")
            count += 1
        assert toggle.get_attribute("aria-pressed") == "false"
        read = "".join(u for _, u in page.evaluate(
            "window.__speech.spoken.map(u => [u.lang, u.text])"))
        heading = page.locator("main h1").inner_text().strip()
        assert heading in read
        # The navigation and the header are not read (words that appear only there).
        main_text = page.locator("main").inner_text()
        nav_only = [t.strip() for t in page.locator(".site-nav a").all_inner_texts()
                    if t.strip() not in main_text]
        assert nav_only and not [t for t in nav_only if t in read]
        assert "监督电话" not in read or "监督电话" in main_text
        assert all(len(u) <= 80 for u in page.evaluate("window.__speech.spoken.map(u => u.text)"))

        # Again by Space; 暂停 pauses and resumes; pressing 朗读 again stops.
        toggle.focus()
        page.keyboard.press(" ")
        assert toggle.get_attribute("aria-pressed") == "true"
        pause = page.get_by_role("button", name="暂停")
        assert pause.is_visible() and pause.get_attribute("aria-pressed") == "false"
        pause.focus()
        page.keyboard.press("Enter")
        assert pause.get_attribute("aria-pressed") == "true"
        page.keyboard.press("Enter")
        assert pause.get_attribute("aria-pressed") == "false"
        calls = page.evaluate("[window.__speech.pause, window.__speech.resume, window.__speech.cancel]")
        assert calls[0] == 1 and calls[1] == 1
        toggle.focus()
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-pressed") == "false"
        assert page.locator("#read-aloud-pause").is_hidden()
        assert page.evaluate("window.__speech.cancel") > calls[2]
        # Escape stops it from anywhere.
        toggle.click()
        page.locator("main h1").click()
        page.keyboard.press("Escape")
        assert toggle.get_attribute("aria-pressed") == "false"
    finally:
        context.close()


def test_read_aloud_is_hidden_where_the_browser_cannot_speak(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    context.add_init_script(NO_SPEECH)
    page = context.new_page()
    try:
        page.goto(live_server + "/")
        page.wait_for_load_state("load")
        assert page.locator("#read-aloud").is_hidden()
        assert page.get_by_role("button", name="朗读").count() == 0
    finally:
        context.close()
