"""CSRF: every state-changing form needs the signed token of this browser's secret."""

from __future__ import annotations

from portal.accounts.rules.roles import Role

from factories import PASSWORD, user
from support import csrf_token


def test_post_without_token_is_rejected_with_a_chinese_403_page(client):
    # Logout shows no form again (test_stale_forms.py: the public forms that do).
    response = client.post("/accounts/logout", data={"x": "y"})
    assert response.status_code == 403
    assert "安全校验未通过" in response.text
    assert "text/html" in response.headers["content-type"]


def test_post_with_a_forged_token_is_rejected(client):
    csrf_token(client)  # give the browser its secret
    response = client.post(
        "/accounts/login", data={"username": "x", "password": "y", "csrf_token": "forged.token"}
    )
    assert response.status_code == 403


def test_token_from_another_browser_is_rejected(client, env):
    from starlette.testclient import TestClient

    from portal.app import create_app

    with TestClient(create_app()) as other:
        foreign = csrf_token(other)
    csrf_token(client)
    response = client.post(
        "/accounts/login", data={"username": "x", "password": "y", "csrf_token": foreign}
    )
    assert response.status_code == 403


def test_valid_token_passes_the_guard(client, db):
    user(db, Role.ADMIN, username="boss")
    db.commit()
    token = csrf_token(client, "/accounts/login")
    response = client.post(
        "/accounts/login",
        data={"username": "boss", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_htmx_header_token_is_accepted(client, db):
    user(db, Role.ADMIN, username="boss2")
    db.commit()
    token = csrf_token(client, "/accounts/login")
    response = client.post(
        "/accounts/login",
        data={"username": "boss2", "password": PASSWORD},
        headers={"X-CSRF-Token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_oversized_body_is_refused_with_413(client):
    token = csrf_token(client)
    response = client.post(
        "/accounts/login", data={"csrf_token": token, "username": "x" * (3 * 1024 * 1024)}
    )
    assert response.status_code == 413
    assert "大小限制" in response.text
