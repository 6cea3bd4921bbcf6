"""The key chord that presses an HTML `accesskey` in the operator's browser (pure; issue 21,
item 5).

Browsers disagree: Chromium, Edge and Safari on Windows and Linux take Alt+key, Firefox takes
Alt+Shift+key (Alt+key opens its menus), and every browser on a Mac takes Control+Option+key.
The console names the chord of the browser that asked for the page (its User-Agent), so the
hint is right for the operator reading it; an unknown browser gets the Alt+key of the
Chromium-based browsers hotline desks run, followed by the Firefox and Mac chords.
"""

from __future__ import annotations

ALT = "Alt"
FIREFOX = "Alt+Shift"
MAC = "Control+Option"


def accesskey_chord(user_agent: str) -> str:
    """The modifier keys held with an access key, e.g. 'Alt+Shift' for Firefox on Linux."""
    ua = user_agent or ""
    if "Macintosh" in ua or "Mac OS X" in ua:
        # iPhone/iPad agents also say "like Mac OS X" but have no access keys worth naming.
        return MAC
    if "Firefox/" in ua and "Seamonkey/" not in ua:
        return FIREFOX
    return ALT


def known_browser(user_agent: str) -> bool:
    """Whether the agent names a browser whose chord is certain (else the hint lists all)."""
    ua = user_agent or ""
    return any(token in ua for token in ("Firefox/", "Chrome/", "Edg/", "Safari/"))
