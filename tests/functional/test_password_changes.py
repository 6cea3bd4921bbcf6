"""Passwords after go-live (issue 20): a user changes their own; an administrator resets a
forgotten one; a password someone else gave (an import, a reset, an administrator's new
account) is changed at sign-in before any staff page opens."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from starlette.testclient import TestClient

from portal.accounts.models import User, UserSession
from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent

from factories import PASSWORD, user
from support import csrf_token, login

NEW = "Better-pass-2027"


def change(client, current: str, new: str, again: str | None = None, next_url: str = ""):
    return client.post("/accounts/password", data={
        "csrf_token": csrf_token(client, "/accounts/password"), "current": current, "new": new,
        "again": new if again is None else again, "next": next_url}, follow_redirects=False)


def sessions(db, account: User) -> int:
    db.expire_all()
    return db.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == account.id))


def test_a_user_changes_their_password_and_their_other_sessions_end(client, db):
    account = user(db, Role.OPERATOR, username="op-pw")
    db.commit()
    # A second browser on the running app (not started again: its shutdown would close
    # the pools under the first).
    elsewhere = TestClient(client.app)
    login(elsewhere, "op-pw", PASSWORD)
    login(client, "op-pw", PASSWORD)
    assert sessions(db, account) == 2
    assert "修改密码" in client.get("/accounts/me").text

    wrong = change(client, "not-my-password", NEW)
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    weak = change(client, PASSWORD, "short", "shorter")
    assert weak.status_code == 400
    assert "密码至少需要 10 个字符" in weak.text and "两次输入的新密码不一致" in weak.text
    same = change(client, PASSWORD, PASSWORD)
    assert same.status_code == 400 and "新密码不能与当前密码相同" in same.text

    done = change(client, PASSWORD, NEW)
    assert done.status_code == 303
    assert done.headers["location"].endswith("/accounts/me?password_changed=1")
    assert "密码已修改" in client.get(done.headers["location"]).text
    # This browser stays signed in; the other is signed out.
    assert sessions(db, account) == 1
    assert client.get("/operator/", follow_redirects=False).status_code == 200
    assert elsewhere.get("/operator/", follow_redirects=False).status_code in (302, 303)
    client.cookies.clear()
    refused = client.post("/accounts/login", data={
        "username": "op-pw", "password": PASSWORD,
        "csrf_token": csrf_token(client, "/accounts/login")}, follow_redirects=False)
    assert refused.status_code == 400
    login(client, "op-pw", NEW)
    events = db.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(account.id)))
    assert "password.changed" in list(events)


def test_wrong_current_passwords_count_as_failed_sign_ins(client, db):
    user(db, Role.DEPARTMENT, username="dept-pw")
    db.commit()
    login(client, "dept-pw", PASSWORD)
    answers = [change(client, f"guess-{n}", NEW) for n in range(8)]
    assert all(a.status_code == 400 for a in answers)
    # The account now waits (portal/accounts/rules/throttle.py): even the right one is refused.
    assert "尝试过于频繁" in change(client, PASSWORD, NEW).text
    db.expire_all()
    assert db.scalar(select(User.locked_until).where(User.username == "dept-pw")) is not None


def test_an_admin_reset_shows_a_password_once_and_it_must_be_changed_at_sign_in(client, db):
    admin = user(db, Role.ADMIN, username="admin-pw")
    clerk = user(db, Role.DEPARTMENT, username="clerk-pw")
    db.commit()
    # A second browser on the running app (not started again: its shutdown would close
    # the pools under the first).
    clerks_browser = TestClient(client.app)
    login(clerks_browser, "clerk-pw", PASSWORD)
    login(client, "admin-pw", PASSWORD)
    listing = client.get("/admin/users").text
    assert f"/admin/users/{clerk.id}/password-reset" in listing and "确认重置" in listing
    page = client.post(f"/admin/users/{clerk.id}/password-reset",
                       data={"csrf_token": csrf_token(client, "/admin/users")})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    shown = re.search(r'id="reset-password"><code>([^<]+)</code>', page.text).group(1)
    assert re.fullmatch(r"[A-Za-z2-9]{4}-[A-Za-z2-9]{4}-[A-Za-z2-9]{4}", shown)
    # The clerk's session ended; the old password no longer signs in.
    assert sessions(db, clerk) == 0
    assert clerks_browser.get("/staff/queue", follow_redirects=False).status_code in (302, 303)
    db.expire_all()
    assert db.get(User, clerk.id).must_change_password
    assert "待本人修改" in client.get("/admin/users").text
    assert shown not in db.scalar(select(User.password_hash).where(User.id == clerk.id))
    events = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "password.reset")))
    assert [(e.actor_id, e.object_id) for e in events] == [(admin.id, str(clerk.id))]

    client.cookies.clear()
    login(client, "clerk-pw", shown)
    # Every staff page leads to the change first, and back after it.
    queue = client.get("/staff/queue?status=open", follow_redirects=False)
    assert queue.status_code == 303
    assert queue.headers["location"] == "/accounts/password?next=/staff/queue%3Fstatus%3Dopen"
    form = client.get(queue.headers["location"]).text
    assert 'id="must-change"' in form and 'value="/staff/queue?status=open"' in form
    assert client.get("/", follow_redirects=False).status_code == 200  # public pages stay open
    done = change(client, shown, NEW, next_url="/staff/queue?status=open")
    assert done.status_code == 303 and done.headers["location"] == "/staff/queue?status=open"
    assert client.get("/staff/queue", follow_redirects=False).status_code == 200
    db.expire_all()
    assert not db.get(User, clerk.id).must_change_password


def test_a_reset_of_an_unknown_user_is_a_404_and_only_admins_reset(client, db):
    clerk = user(db, Role.SUPERVISOR, username="sup-pw")
    db.commit()
    login(client, "sup-pw", PASSWORD)
    token = csrf_token(client, "/accounts/me")
    assert client.post(f"/admin/users/{clerk.id}/password-reset",
                       data={"csrf_token": token}).status_code == 403
    user(db, Role.ADMIN, username="admin-pw2")
    db.commit()
    client.cookies.clear()
    login(client, "admin-pw2", PASSWORD)
    assert client.post("/admin/users/999999/password-reset", data={
        "csrf_token": csrf_token(client, "/admin/users")}).status_code == 404


def test_an_account_an_admin_creates_changes_the_chosen_password_first(client, db):
    user(db, Role.ADMIN, username="admin-pw3")
    db.commit()
    login(client, "admin-pw3", PASSWORD)
    created = client.post("/admin/users", data={
        "csrf_token": csrf_token(client, "/admin/users"), "username": "new-op",
        "display_name": "新坐席", "email": "", "password": "Chosen-by-admin-1", "role": "operator",
        "department_id": "", "institution_id": ""}, follow_redirects=False)
    assert created.status_code == 303
    client.cookies.clear()
    login(client, "new-op", "Chosen-by-admin-1")
    answer = client.get("/operator/", follow_redirects=False)
    assert answer.headers["location"] == "/accounts/password?next=/operator/"


def test_fragments_a_page_polls_get_nothing_until_the_password_is_changed(client, db):
    """The menu's queue count (htmx) on the 修改密码 page itself: no redirect to swap in."""
    user(db, Role.DEPARTMENT, username="dept-frag", must_change_password=True)
    db.commit()
    login(client, "dept-frag", PASSWORD)
    page = client.get("/accounts/password").text
    assert 'id="must-change"' in page and "queue-attention" in page
    polled = client.get("/staff/queue/attention", headers={"HX-Request": "true"},
                        follow_redirects=False)
    assert polled.status_code == 204 and polled.text == ""


def test_a_right_current_password_with_a_weak_new_one_is_no_failed_attempt(client, db):
    user(db, Role.OPERATOR, username="op-weak")
    db.commit()
    login(client, "op-weak", PASSWORD)
    for _ in range(8):
        assert change(client, PASSWORD, "weak", "weak").status_code == 400
    db.expire_all()
    assert db.scalar(select(User.failed_logins).where(User.username == "op-weak")) == 0
    assert change(client, PASSWORD, NEW).status_code == 303
