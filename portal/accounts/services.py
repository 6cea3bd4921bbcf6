"""Account services: authentication with throttling, login sessions, users and API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from portal.accounts.exceptions import InvalidUser, LoginFailed
from portal.accounts.models import ApiKey, User, UserSession
from portal.accounts.rules import throttle
from portal.accounts.rules.passwords import (
    change_problems,
    hash_password,
    initial_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from portal.accounts.rules.roles import NEEDS_DEPARTMENT, NEEDS_INSTITUTION, Role
from portal.core import reference_version
from portal.core.db import own_transaction, utcnow
from portal.core.formfields import MAX_ROW_ID
from portal.core.ratelimit import allow
from portal.institutions.models import Institution
from portal.orgs.models import Department

UNKNOWN_NAME_WINDOW = 15 * 60  # seconds an unknown name's free attempts last
KEY_USE_PRECISION = timedelta(minutes=1)  # how exactly an API key's last use is kept
# Every signed-in request runs this: the session, its user and the user's office in one query.
# Both with the reference version (portal.core.reference_version), which the request then needs not
# read with a statement of its own.
_SESSION_WITH_USER = select(UserSession, reference_version.COLUMN).options(
    joinedload(UserSession.user).joinedload(User.department)
).where(UserSession.id == bindparam("session_id"))
# Every API request with a key runs this: the key, its user and the user's office.
_KEY_WITH_USER = select(ApiKey, reference_version.COLUMN).options(
    joinedload(ApiKey.user).joinedload(User.department)
).where(ApiKey.prefix == bindparam("prefix"))
# Verifying against a dummy hash keeps unknown usernames as slow as wrong passwords.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    secret: str  # shown once, never stored


class AccountService:
    def __init__(self, session: Session) -> None:
        self.db = session

    # --- authentication -------------------------------------------------------------------
    def authenticate(self, username: str, password: str, now: datetime | None = None) -> User:
        """The user whose password this is, or LoginFailed (one message for every failure).

        Each attempt on an account is counted before its password is checked, in a statement
        of its own that only passes while the account need not wait (`throttle`): parallel
        attempts take their turns on the user's row, so no more passwords are checked than
        the throttle allows, whatever arrives at once. A success resets the count."""
        now = now or utcnow()
        user = self.db.scalars(select(User).where(User.username == username.strip())).first()
        if user is None or not user.is_active:
            # Unknown names wait like accounts do, so neither the message nor the time the
            # answer takes (no password check while waiting) tells whether an account exists.
            name_key = _sha256(username.strip().lower())[:32]
            if allow("login-name", name_key, throttle.FREE_FAILURES, UNKNOWN_NAME_WINDOW):
                verify_password(_DUMMY_HASH, password)
            raise LoginFailed()
        if not self._count_attempt(user.id, now):
            raise LoginFailed()  # the account waits: the password is not checked
        if not verify_password(user.password_hash, password):
            raise LoginFailed()
        values: dict = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if needs_rehash(user.password_hash):
            values["password_hash"] = hash_password(password)
        self.db.execute(update(User).where(User.id == user.id).values(**values))
        return user

    def _count_attempt(self, user_id: int, now: datetime) -> bool:
        """Count one attempt as failed until it succeeds, committed at once; False while the
        account waits. The conditional UPDATE is atomic on both databases: PostgreSQL orders
        concurrent ones on the row lock and re-checks the condition, SQLite has one writer at a
        time (`BEGIN IMMEDIATE`, portal/core/db.py)."""
        with own_transaction(self.db) as conn:
            failures = conn.execute(
                update(User).where(
                    User.id == user_id,
                    or_(User.locked_until.is_(None), User.locked_until <= now),
                ).values(failed_logins=User.failed_logins + 1).returning(User.failed_logins)
            ).scalar()
            if failures is None:
                return False
            wait = throttle.delay_after(failures)
            if wait is not None:
                conn.execute(update(User).where(User.id == user_id)
                             .values(locked_until=now + wait))
        return True

    def start_session(self, user: User, max_age: int) -> UserSession:
        """A fresh session id at every login (no fixation); expired rows of the user go."""
        now = utcnow()
        self.db.execute(
            delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at < now)
        )
        row = UserSession(
            id=secrets.token_urlsafe(32),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(seconds=max_age),
        )
        self.db.add(row)
        return row

    def session_user(self, session_id: str) -> User | None:
        found = self.db.execute(_SESSION_WITH_USER, {"session_id": session_id}).first()
        if found is None:
            return None
        row, version = found
        reference_version.note(self.db, version)
        if row.expires_at <= utcnow():
            return None
        user = row.user
        return user if user.is_active else None

    def end_session(self, session_id: str) -> None:
        self.db.execute(delete(UserSession).where(UserSession.id == session_id))

    # --- users ----------------------------------------------------------------------------
    def create_user(
        self,
        *,
        username: str,
        display_name: str,
        password: str,
        role: Role,
        department_id: int | None = None,
        institution_id: int | None = None,
        email: str = "",
    ) -> User:
        errors = password_problems(password, username)
        if not username.strip() or not display_name.strip():
            errors.append("用户名和姓名不能为空")
        if self.db.scalars(select(User.id).where(User.username == username.strip())).first():
            errors.append("该用户名已被使用")
        if role in NEEDS_DEPARTMENT and department_id is None:
            errors.append("该角色必须属于一个部门")
        if role in NEEDS_INSTITUTION and institution_id is None:
            errors.append("机构账号必须绑定一家机构")
        # A missing row would fail the foreign key at INSERT (a 500): name the field instead.
        if role in NEEDS_DEPARTMENT and department_id is not None and (
                not 1 <= department_id <= MAX_ROW_ID or self.db.get(Department, department_id) is None):
            errors.append("所选部门不存在，请从列表中选择")
        if role in NEEDS_INSTITUTION and institution_id is not None and (
                not 1 <= institution_id <= MAX_ROW_ID
                or self.db.get(Institution, institution_id) is None):
            errors.append("所填机构编号不存在，请核对")
        if email and ("@" not in email or len(email) > 120):
            errors.append("电子邮箱格式不正确")
        if errors:
            raise InvalidUser("；".join(errors))
        user = User(
            username=username.strip(),
            display_name=display_name.strip(),
            email=email.strip(),
            password_hash=hash_password(password),
            role=role.value,
            department_id=department_id if role in NEEDS_DEPARTMENT else None,
            institution_id=institution_id if role in NEEDS_INSTITUTION else None,
        )
        self.db.add(user)
        self.db.flush()
        return user

    # --- passwords ------------------------------------------------------------------------
    def change_password(self, user: User, current: str, new: str, again: str,
                        keep_session: str | None) -> None:
        """The user's own change: the current password, then the new one twice. Every other
        session of the user ends (whoever else knew the old password is signed out). Refused
        with InvalidUser (its message lists every rule broken). The caller audits and commits."""
        # A wrong current password counts as a failed sign-in (`throttle`): a borrowed session
        # cannot be used to guess it.
        if not self._count_attempt(user.id, utcnow()):
            raise InvalidUser(LoginFailed.message)
        current_ok = verify_password(user.password_hash, current)
        if current_ok:  # a right password is no failed attempt, whatever the new one is like
            with own_transaction(self.db) as conn:
                conn.execute(update(User).where(User.id == user.id)
                             .values(failed_logins=0, locked_until=None))
        problems = change_problems(user.username, new, again, current_ok=current_ok,
                                   same_as_current=current_ok and current == new)
        if problems:
            raise InvalidUser("；".join(problems))
        self._set_password(user, new, must_change=False)
        self.db.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                                  UserSession.id != (keep_session or "")))

    def reset_password(self, user: User) -> str:
        """An administrator's reset of a forgotten password: a random one, shown once to the
        administrator, to be changed at the next sign-in; every session of the user ends and a
        lock from failed attempts is lifted. The caller audits and commits."""
        password = initial_password(user.username)
        self._set_password(user, password, must_change=True)
        user.failed_logins, user.locked_until = 0, None
        self.db.execute(delete(UserSession).where(UserSession.user_id == user.id))
        return password

    def _set_password(self, user: User, password: str, *, must_change: bool) -> None:
        user.password_hash = hash_password(password)
        user.must_change_password = must_change
        user.password_changed_at = utcnow()
        self.db.flush()

    # --- API keys -------------------------------------------------------------------------
    def create_api_key(self, user: User, name: str) -> NewApiKey:
        prefix = secrets.token_hex(6)
        secret = f"pk_{prefix}_{secrets.token_urlsafe(32)}"
        key = ApiKey(prefix=prefix, key_hash=_sha256(secret), name=name, user_id=user.id)
        self.db.add(key)
        self.db.flush()
        return NewApiKey(key=key, secret=secret)

    def api_key_user(self, presented: str) -> User | None:
        """The user behind a presented key; keys are random, so SHA-256 suffices at rest."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != "pk":
            return None
        found = self.db.execute(_KEY_WITH_USER, {"prefix": parts[1]}).first()
        if found is None:
            return None
        key, version = found
        reference_version.note(self.db, version)
        if key.revoked_at is not None:
            return None
        if not hmac.compare_digest(key.key_hash, _sha256(presented)):
            return None
        self._note_key_use(key, utcnow())
        return key.user if key.user.is_active else None

    def _note_key_use(self, key: ApiKey, now: datetime) -> None:
        """Record when a key was last used, to the minute, in a transaction of its own.

        Updating the key's row inside every request's transaction made all requests with one
        key (a hotline's whole intake) queue on that row's lock until each commit on PostgreSQL,
        and made every API read a write on SQLite. Called before the request writes anything."""
        if key.last_used_at is not None and now - key.last_used_at < KEY_USE_PRECISION:
            return
        with own_transaction(self.db) as conn:
            conn.execute(update(ApiKey).where(
                ApiKey.id == key.id,
                or_(ApiKey.last_used_at.is_(None),
                    ApiKey.last_used_at < now - KEY_USE_PRECISION),
            ).values(last_used_at=now))


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
