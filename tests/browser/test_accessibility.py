"""axe-core finds no serious or critical violations on the main public pages, in normal,
large-text and large-text with high-contrast modes (WCAG 2.1 AA rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
PAGES = [
    "/",
    "/institutions/",
    "/institutions/1",
    "/institutions/compare?ids=1&ids=2",
    "/institutions/lists/penalties",
    "/reviews/new/1",
    "/complaints/new",
    "/complaints/track",
    "/search?q=%E6%B6%88%E9%98%B2",
    "/accounts/login",
]


def serious_violations(page) -> list[str]:
    page.evaluate(AXE)
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
        }"""
    )
    return list(result)


MODES = {"normal": [], "large-text": ["portal_large_text"],
         "large-text+high-contrast": ["portal_large_text", "portal_high_contrast"]}


@pytest.mark.parametrize("mode", list(MODES))
def test_public_pages_have_no_serious_accessibility_violations(browser, live_server, mode):
    # bypass_csp lets the test inject axe; the portal itself never allows inline scripts.
    context = browser.new_context(locale="zh-CN", bypass_csp=True)
    context.add_cookies([{"name": name, "value": "1", "url": live_server}
                         for name in MODES[mode]])
    page = context.new_page()
    found = {}
    for path in PAGES:
        response = page.goto(live_server + path)
        assert response is not None and response.status < 500, path
        problems = serious_violations(page)
        if problems:
            found[path] = problems
    context.close()
    assert found == {}


def test_the_axe_check_does_catch_a_violation(browser):
    """Guard against a silently broken check: a page with known faults must be reported."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_content('<html lang="zh-CN"><body><img src="x.png"><input type="text"></body></html>')
    problems = serious_violations(page)
    context.close()
    assert any(p.startswith("image-alt") for p in problems)
    assert any(p.startswith("label") for p in problems)
