"""The access-key chord named for the operator's browser (issue 21, item 5)."""

from __future__ import annotations

import pytest

from complaints.rules.shortcuts import accesskey_chord, known_browser

CHROME_LINUX = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/131.0.0.0 Safari/537.36")
FIREFOX_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like "
              "Gecko) Version/17.0 Safari/605.1.15")
FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.0; rv:128.0) Gecko/20100101 Firefox/128.0"
EDGE = CHROME_LINUX.replace("X11; Linux x86_64", "Windows NT 10.0; Win64; x64") + " Edg/131.0"


@pytest.mark.parametrize("agent,chord", [
    (CHROME_LINUX, "Alt"), (EDGE, "Alt"), (FIREFOX_WIN, "Alt+Shift"),
    (SAFARI_MAC, "Control+Option"), (FIREFOX_MAC, "Control+Option"), ("", "Alt"),
])
def test_each_browser_gets_its_own_chord(agent, chord):
    assert accesskey_chord(agent) == chord


def test_an_unknown_agent_is_not_taken_for_certain():
    assert known_browser(CHROME_LINUX) and known_browser(FIREFOX_WIN)
    assert not known_browser("") and not known_browser("curl/8.5")
