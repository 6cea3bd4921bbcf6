"""CSRF on every state-changing route (walked from the app), session fixation, login throttling
per address, and the password rules. tests/functional/test_csrf.py and test_accounts.py cover
the token mechanics, logout and the per-account throttle; this file adds what they do not.

Nothing here depends on the database engine: SQLite only.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from portal.accounts import views as account_views
from portal.accounts.exceptions import LoginFailed
from portal.accounts.rules.passwords import password_problems
from portal.accounts.rules.roles import Role
from portal.core.endpoints import SESSION_COOKIE
from portal.core.security import CSRF_EXEMPT_PREFIXES

from factories import PASSWORD, user
from security_world import app_routes
from support import csrf_token, login

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
STALE_FORM_TEXT = "为保护您的信息安全需要重新确认，您填写的内容已保留"


def state_changing_routes() -> list[tuple[str, str]]:
    return [(method, path) for method, path, _ in app_routes()
            if method in {"POST", "PUT", "PATCH", "DELETE"}
            and not path.startswith(CSRF_EXEMPT_PREFIXES)]


def concrete(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_walk_finds_the_forms():
    paths = {path for _, path in state_changing_routes()}
    assert {"/complaints/new", "/accounts/login", "/reviews/new/{institution_id:int}",
            "/opendays/{open_day_id:int}/signup", "/staff/queue/sign"} <= paths


@sqlite_only
def test_every_state_changing_route_refuses_a_post_without_token(client, db):
    """Signed in as an admin (the session a forged cross-site form would ride on)."""
    admin = user(db, Role.ADMIN)
    db.commit()
    login(client, admin.username, PASSWORD)
    failures = []
    for method, path in state_changing_routes():
        for data in ({"x": "1"}, {"x": "1", "csrf_token": "forged.token"}):
            response = client.request(method, concrete(path), data=data, follow_redirects=False)
            # A public form is shown again with what was typed (test_stale_forms.py): refused
            # all the same, with its explanation instead of the error page's.
            refused = "安全校验未通过" in response.text or STALE_FORM_TEXT in response.text
            if response.status_code != 403 or not refused:
                failures.append((method, path, data, response.status_code))
        # A JSON body cannot carry the form token either.
        response = client.request(method, concrete(path), json={"x": 1}, follow_redirects=False)
        if response.status_code != 403:
            failures.append((method, path, "json", response.status_code))
    assert not failures


@sqlite_only
def test_a_planted_session_cookie_is_replaced_and_ended_at_login(client, db):
    """Fixation: an attacker signs in, plants the cookie in the victim's browser, the victim
    signs in; the planted cookie must not now belong to the victim (nor still to anyone)."""
    attacker = user(db, Role.OPERATOR)
    victim = user(db, Role.ADMIN)
    db.commit()
    login(client, attacker.username, PASSWORD)
    planted = client.cookies.get(SESSION_COOKIE)
    login(client, victim.username, PASSWORD)
    fresh = client.cookies.get(SESSION_COOKIE)
    assert fresh and fresh != planted
    assert client.get("/admin/users", follow_redirects=False).status_code == 200
    with TestClient(client.app) as other:
        other.cookies.set(SESSION_COOKIE, planted)
        assert other.get("/admin/users", follow_redirects=False).status_code == 303
        assert other.get("/accounts/me", follow_redirects=False).status_code == 303


@sqlite_only
def test_logout_refuses_a_cross_site_post(client, db):
    account = user(db, Role.OPERATOR)
    db.commit()
    login(client, account.username, PASSWORD)
    assert client.post("/accounts/logout", data={}).status_code == 403
    assert client.get("/accounts/me", follow_redirects=False).status_code == 200


def _attempt(client, username: str, password: str):
    token = csrf_token(client, "/accounts/login")
    return client.post("/accounts/login", data={"username": username, "password": password,
                                                 "csrf_token": token}, follow_redirects=False)


@sqlite_only
def test_failed_logins_across_many_names_throttle_the_address(client, db, monkeypatch):
    """Password spraying: one wrong guess for each of many accounts never trips the per-account
    lock-out, so the address is throttled too (the real limit is 30 per 15 minutes)."""
    monkeypatch.setattr(account_views, "FAILED_LOGINS_PER_IP", 4)
    account = user(db, Role.OPERATOR)
    db.commit()
    for n in range(4):
        assert _attempt(client, f"guess{n}", "Wrong-pass-2026").status_code == 400
    blocked = _attempt(client, account.username, PASSWORD)
    assert blocked.status_code == 429
    assert LoginFailed.message in blocked.text
    assert SESSION_COOKIE not in blocked.cookies
    with TestClient(client.app, client=("203.0.113.9", 50000)) as elsewhere:
        assert _attempt(elsewhere, account.username, PASSWORD).status_code == 303


@sqlite_only
def test_successful_logins_do_not_count_towards_the_address_limit(client, db, monkeypatch):
    monkeypatch.setattr(account_views, "FAILED_LOGINS_PER_IP", 2)
    account = user(db, Role.OPERATOR)
    db.commit()
    for _ in range(4):
        assert _attempt(client, account.username, PASSWORD).status_code == 303


@pytest.mark.parametrize("password,expected", [
    ("short1A!", "至少需要 10 个字符"),
    ("alllowercaseletters", "至少三类"),
    ("lowercase12345", "至少三类"),
    ("Zhangwei-2026x", "不能包含用户名"),
])
def test_password_rules_give_each_reason(password, expected):
    problems = password_problems(password, username="zhangwei")
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("password", ["Test-pass-2026", "长城长城Aa1长城长城", "Abcdefgh12"])
def test_good_passwords_pass(password):
    assert password_problems(password, username="zhangwei") == []


FIELD_OVER_1MB = "x" * (1024 * 1024 + 200_000)  # the body stays under the 2 MB limit


@sqlite_only
@pytest.mark.parametrize(("how", "status", "message"), [
    ("big-field", 413, "超过了 1 MB"),
    ("big-multipart-field", 413, "超过了 1 MB"),
    ("many-fields", 400, "表单的项目太多"),
    ("many-fields-htmx", 400, "表单的项目太多"),
])
def test_an_oversized_form_is_refused_as_such_not_as_a_stale_form(client, how, status, message):
    """Starlette's parser refuses a field over 1 MB or over 1,000 fields; that is no CSRF
    failure (403 "表单已过期") but a form too large (413) or malformed (400)."""
    token = csrf_token(client, "/complaints/new")
    headers, files = {}, None
    data = {"csrf_token": token, "description": "正常的投诉内容"}
    if how == "big-field":
        data["description"] = FIELD_OVER_1MB
    elif how == "big-multipart-field":
        files = {"attachment": ("a.txt", b"x", "text/plain")}
        data["description"] = FIELD_OVER_1MB
    else:
        data = {"csrf_token": token, **{f"f{n}": "1" for n in range(1001)}}
        if how == "many-fields-htmx":
            headers = {"x-csrf-token": token, "hx-request": "true"}
            del data["csrf_token"]
    response = client.post("/complaints/new", data=data, files=files, headers=headers,
                           follow_redirects=False)
    assert response.status_code == status
    assert message in response.text
    assert "安全校验未通过" not in response.text
