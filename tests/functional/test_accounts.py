"""Login, sessions, logout, throttling and password storage."""

from __future__ import annotations

import logging

from sqlalchemy import select, text

from portal.accounts.models import User, UserSession
from portal.accounts.rules.roles import Role
from portal.core.endpoints import SESSION_COOKIE

from factories import PASSWORD, user
from support import csrf_token, login


def test_login_sets_a_fresh_httponly_samesite_session_cookie(client, db):
    user(db, Role.OPERATOR, username="op1")
    db.commit()
    token = csrf_token(client, "/accounts/login")
    response = client.post(
        "/accounts/login",
        data={"username": "op1", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Max-Age=" in cookie


def test_login_replaces_the_previous_session_id(client, db):
    user(db, Role.OPERATOR, username="op2")
    db.commit()
    login(client, "op2", PASSWORD)
    first = db.scalars(select(UserSession.id)).all()
    login(client, "op2", PASSWORD)
    db.expire_all()
    second = db.scalars(select(UserSession.id)).all()
    assert len(first) == 1 and len(second) == 1
    assert first != second


def test_logout_invalidates_the_old_cookie(client, db):
    user(db, Role.OPERATOR, username="op3")
    db.commit()
    login(client, "op3", PASSWORD)
    stolen = client.cookies.get(SESSION_COOKIE)
    assert client.get("/accounts/me", follow_redirects=False).status_code == 200
    client.post("/accounts/logout", data={"csrf_token": csrf_token(client)})
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, stolen)
    assert client.get("/accounts/me", follow_redirects=False).status_code == 303


def test_tampered_session_cookie_is_ignored(client, db):
    user(db, Role.OPERATOR, username="op4")
    db.commit()
    login(client, "op4", PASSWORD)
    cookie = client.cookies.get(SESSION_COOKIE)
    # Change one character well inside the signature: the last base64 character
    # carries ignored padding bits, so replacing it may leave the signature intact.
    position = len(cookie) - 5
    replacement = "A" if cookie[position] != "A" else "B"
    tampered = cookie[:position] + replacement + cookie[position + 1 :]
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, tampered)
    assert client.get("/accounts/me", follow_redirects=False).status_code == 303


def test_wrong_password_shows_one_chinese_error_and_throttles_after_five(client, db):
    user(db, Role.OPERATOR, username="op5")
    db.commit()
    for _ in range(5):
        token = csrf_token(client, "/accounts/login")
        response = client.post(
            "/accounts/login", data={"username": "op5", "password": "wrong", "csrf_token": token}
        )
        assert response.status_code == 400
        assert "用户名或密码错误，或尝试过于频繁" in response.text
    token = csrf_token(client, "/accounts/login")
    response = client.post(
        "/accounts/login", data={"username": "op5", "password": PASSWORD, "csrf_token": token}
    )
    # The account now waits a minute (portal/accounts/rules/throttle.py); the page does not say so.
    assert response.status_code == 400
    assert "用户名或密码错误，或尝试过于频繁" in response.text
    assert "锁定" not in response.text


def test_password_is_never_stored_or_logged_in_clear(client, db, caplog):
    admin = user(db, Role.ADMIN, username="root1")
    db.commit()
    login(client, "root1", PASSWORD)
    secret = "Clear-Text-Secret-42"
    caplog.set_level(logging.DEBUG)
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf_token(client),
            "username": "newop",
            "display_name": "新坐席",
            "password": secret,
            "role": "operator",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    stored = db.scalars(select(User).where(User.username == "newop")).one()
    assert stored.password_hash.startswith("$argon2id$")
    assert secret not in stored.password_hash
    # Search every text column of every table for the clear password.
    from portal.models import Base

    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)).all():
            assert secret not in repr(tuple(row)), table.name
    assert secret not in caplog.text
    assert admin.id  # the admin who created it exists


def test_weak_password_is_refused_with_reasons(client, db):
    user(db, Role.ADMIN, username="root2")
    db.commit()
    login(client, "root2", PASSWORD)
    response = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf_token(client),
            "username": "weak",
            "display_name": "弱",
            "password": "short",
            "role": "operator",
        },
    )
    assert response.status_code == 400
    assert "至少需要 10 个字符" in response.text
    assert db.scalar(text("SELECT count(*) FROM users WHERE username = 'weak'")) == 0


def test_api_key_is_hashed_at_rest(db):
    from portal.accounts.models import ApiKey
    from portal.accounts.services import AccountService

    owner = user(db, Role.OPERATOR)
    new = AccountService(db).create_api_key(owner, "12345 hand-over")
    db.commit()
    stored = db.get(ApiKey, new.key.id)
    assert new.secret not in stored.key_hash
    assert AccountService(db).api_key_user(new.secret).id == owner.id
    assert AccountService(db).api_key_user(new.secret + "x") is None
    assert AccountService(db).api_key_user("pk_nope_nope") is None


def test_api_key_use_is_recorded_once_a_minute_outside_the_request_transaction(db):
    from datetime import timedelta

    from portal.accounts.models import ApiKey
    from portal.accounts.services import KEY_USE_PRECISION, AccountService

    owner = user(db, Role.OPERATOR)
    new = AccountService(db).create_api_key(owner, "hotline")
    db.commit()
    assert AccountService(db).api_key_user(new.secret).id == owner.id
    db.rollback()  # the request failed: its key use is still recorded
    db.expire_all()
    first = db.get(ApiKey, new.key.id).last_used_at
    assert first is not None
    AccountService(db).api_key_user(new.secret)
    db.rollback()
    db.expire_all()
    assert db.get(ApiKey, new.key.id).last_used_at == first  # within the minute: no write
    stale = first - KEY_USE_PRECISION - timedelta(seconds=1)
    db.get(ApiKey, new.key.id).last_used_at = stale
    db.commit()
    AccountService(db).api_key_user(new.secret)
    db.rollback()
    db.expire_all()
    assert db.get(ApiKey, new.key.id).last_used_at > stale
