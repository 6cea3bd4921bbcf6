"""Login throttling: attempts are counted before the password is checked, so parallel guesses
check no more passwords than allowed; an account waits a growing delay (1, 2, 4 … minutes,
capped) rather than being locked for long; the address is limited too; every failure gets the
same message, so the page never tells whether an account exists."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts import services
from portal.accounts import views as account_views
from portal.accounts.exceptions import LoginFailed
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.accounts.rules.throttle import FREE_FAILURES, MAX_DELAY, delay_after
from portal.accounts.services import AccountService
from portal.core.db import session_scope, utcnow

from factories import PASSWORD, user
from support import at_once, csrf_token

WRONG = "Wrong-pass-2026"
ERROR = re.compile(r'<div class="notice error" role="alert"><p>([^<]*)</p>')


@pytest.fixture
def checked(monkeypatch) -> list[str]:
    """Every password hash verified (argon2, what a guess costs), in order."""
    seen: list[str] = []
    lock = threading.Lock()
    real = services.verify_password

    def counting(password_hash: str, password: str) -> bool:
        with lock:
            seen.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(services, "verify_password", counting)
    return seen


def run_together(n: int, fn) -> list:
    """`fn()` in n threads released at once; their results (or exceptions) in a list."""
    return at_once(n, lambda go: (go(), fn())[1])


def test_parallel_wrong_passwords_check_no_more_than_the_free_attempts(env, db, checked):
    account = user(db, Role.ADMIN)
    db.commit()

    def attempt():
        with session_scope(env) as s:
            try:
                AccountService(s).authenticate(account.username, WRONG)
            except LoginFailed:
                return "failed"
            return "signed in"

    results = run_together(25, attempt)
    assert results == ["failed"] * 25
    assert checked.count(account.password_hash) == FREE_FAILURES
    db.expire_all()
    row = db.get(User, account.id)
    assert row.failed_logins == FREE_FAILURES  # the refused attempts were not counted
    assert row.locked_until is not None and row.locked_until <= utcnow() + delay_after(FREE_FAILURES)


def test_the_wait_grows_and_is_capped_and_a_success_starts_afresh(env, db, checked):
    account = user(db, Role.ADMIN)
    db.commit()
    accounts = AccountService(db)

    def attempt(password: str, at) -> bool:
        try:
            accounts.authenticate(account.username, password, now=at)
        except LoginFailed:
            db.rollback()
            return False
        db.commit()
        return True

    t0 = utcnow()
    assert not any(attempt(WRONG, t0) for _ in range(FREE_FAILURES))
    # Waiting one minute: even the right password is not checked, and trying does not count.
    checked.clear()
    assert not attempt(PASSWORD, t0 + timedelta(seconds=30))
    assert not attempt(PASSWORD, t0 + timedelta(seconds=59))
    assert checked == []
    # One more wrong guess after the minute makes the next wait two minutes.
    t1 = t0 + timedelta(seconds=61)
    assert not attempt(WRONG, t1)
    assert not attempt(PASSWORD, t1 + timedelta(seconds=110))
    assert attempt(PASSWORD, t1 + timedelta(seconds=121))
    db.expire_all()
    assert (db.get(User, account.id).failed_logins, db.get(User, account.id).locked_until) == (0, None)
    # After a success the free attempts are there again.
    t2 = t1 + timedelta(minutes=3)
    assert not any(attempt(WRONG, t2) for _ in range(FREE_FAILURES - 1))
    assert attempt(PASSWORD, t2)


@pytest.mark.parametrize("failures,minutes", [
    (0, None), (FREE_FAILURES - 1, None), (FREE_FAILURES, 1), (FREE_FAILURES + 1, 2),
    (FREE_FAILURES + 2, 4), (FREE_FAILURES + 3, 8), (FREE_FAILURES + 4, 15),
    (FREE_FAILURES + 40, 15), (10**6, 15),
])
def test_delay_after_failures(failures, minutes):
    expected = None if minutes is None else timedelta(minutes=minutes)
    assert delay_after(failures) == expected
    assert expected is None or expected <= MAX_DELAY


def _post(client, username: str, password: str):
    token = csrf_token(client, "/accounts/login")
    return client.post("/accounts/login", data={"username": username, "password": password,
                                                 "csrf_token": token}, follow_redirects=False)


def _seen(response) -> tuple[int, str]:
    match = ERROR.search(response.text)
    assert match, response.text[:500]
    return response.status_code, match.group(1)


def test_one_message_for_unknown_user_wrong_password_and_a_waiting_account(client, db):
    account = user(db, Role.ADMIN)
    db.commit()
    unknown = _seen(_post(client, "no-such-user", WRONG))
    wrong = _seen(_post(client, account.username, WRONG))
    for _ in range(FREE_FAILURES - 1):
        _post(client, account.username, WRONG)
    waiting = _seen(_post(client, account.username, PASSWORD))
    assert unknown == wrong == waiting == (400, LoginFailed.message)
    assert "锁定" not in LoginFailed.message
    # Another address could sign in a minute later; nothing here tells an account exists.
    db.expire_all()
    assert db.scalars(select(User.locked_until).where(User.id == account.id)).one() is not None


def test_parallel_attempts_from_one_address_stop_at_its_limit(client, db, checked, monkeypatch):
    """The address's attempts are counted before any password is checked, so a burst of
    attempts at once cannot pass the limit (unknown names: each costs a dummy verification)."""
    monkeypatch.setattr(account_views, "FAILED_LOGINS_PER_IP", 3)
    token = csrf_token(client, "/accounts/login")
    names = iter(f"guess{n}" for n in range(8))
    lock = threading.Lock()

    def attempt():
        with lock:
            name = next(names)
        return client.post("/accounts/login", data={"username": name, "password": WRONG,
                                                     "csrf_token": token}).status_code

    statuses = run_together(8, attempt)
    assert sorted(statuses) == [400] * 3 + [429] * 5
    assert len(checked) == 3


def test_an_unknown_name_waits_like_an_account_so_timing_tells_nothing(env, db, checked):
    """After the free attempts neither an account nor an unknown name has a password checked
    (the slow part of an answer), so how fast the answer comes does not tell them apart."""
    account = user(db, Role.ADMIN)
    db.commit()
    accounts = AccountService(db)
    for name in (account.username, "no-such-user"):
        checked.clear()
        for _ in range(FREE_FAILURES + 3):
            with pytest.raises(LoginFailed):
                accounts.authenticate(name, WRONG)
            db.commit()
        assert len(checked) == FREE_FAILURES, name
