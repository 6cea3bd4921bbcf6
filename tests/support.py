"""Helpers shared by tests: artifacts folder, CSRF tokens, logging in."""

from __future__ import annotations

import re
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    match = CSRF_RE.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str) -> None:
    token = csrf_token(client, "/accounts/login")
    response = client.post(
        "/accounts/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]


DEMO_PASSWORD = "Demo-2026-pass"  # every demo account's (README)


def browser_login(page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form in a Playwright page."""
    page.goto(base + "/accounts/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
