"""The public's sign-up: one per phone per event, held until the phone confirms by SMS code.

A sign-up takes its seats at once (so capacity is decided when the form is posted, as before)
but is pending: an SMS carries a 6-digit code, which the person types into the page the form led
to (one extra step, plain HTML, no JavaScript). Until then the sign-up holds its seats for
`HOLD` only; an unconfirmed one is then released — by the next sign-up for the same event (so
seats never stay blocked while someone is waiting for them) and by the five-minute sweep that
already closes sign-up at the deadline (portal/opendays/tasks.py: close_signups_due), so no new
job or schedule is needed. The code is stored only as an HMAC, is good for `HOLD` and for
`CODE_ATTEMPTS` tries; the last wrong try releases the seats at once.

The thresholds below are the portal's own choices (no seed sets them): seed 000 (苏州, 四（四）)
and seed 001 (（十一）) ask only that open days be held for deputies, the press and the public.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from complaints.rules.intake import MOBILE, normalise_phone
from portal.core.db import session_scope
from portal.core.formfields import parse_whole
from portal.core.jobs import record_job, task
from portal.core.notify import queue_message
from portal.core.privacy import mask_phone
from portal.core.settings import get_settings
from portal.core.tokens import TokenInvalid
from portal.opendays.exceptions import (
    AlreadySignedUp,
    InvalidInput,
    OpenDayNotFound,
    SignupRefused,
    WrongCode,
)
from portal.opendays.models import (
    BY_LINK,
    CANCELLED,
    CLOSED,
    CODE_FAILED,
    CONFIRMED,
    HELD,
    IDENTITIES,
    PARTY_MAX,
    PARTY_MIN,
    SCHEDULED,
    UNCONFIRMED,
    OpenDay,
    Signup,
)

HOLD = timedelta(minutes=30)  # an unconfirmed sign-up holds its seats this long
CODE_DIGITS = 6
CODE_ATTEMPTS = 5  # tries per code; the last wrong one releases the seats
PHONE_SIGNUPS_PER_DAY = 3  # sign-ups one phone may make in 24 hours, over all events
ADDRESS_SIGNUPS_PER_HOUR = 5  # accepted sign-up forms per client address per hour (the view)
NAME_MAX = 50
REMINDER_BEFORE = timedelta(days=1)
SIGNUP_PATH = "/opendays/signup/{token}"  # inside the /opendays mount, for links sent by SMS


# --- pure rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SignupInput:
    name: str
    phone: str
    identity: str
    party_size: str


def validate_signup(inp: SignupInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not inp.name.strip():
        errors["name"] = "请填写姓名"
    elif len(inp.name.strip()) > NAME_MAX:
        errors["name"] = f"姓名不能超过 {NAME_MAX} 个字"
    phone = normalise_phone(inp.phone)
    if not phone:
        errors["phone"] = "请填写手机号码，用于接收验证码和活动提醒"
    elif not MOBILE.match(phone):
        errors["phone"] = "手机号码格式不正确：须为 11 位数字，如 13812345678"
    if inp.identity not in IDENTITIES:
        errors["identity"] = "请选择您的身份"
    if parse_whole(inp.party_size, PARTY_MIN, PARTY_MAX) is None:
        errors["party_size"] = f"报名人数须为 {PARTY_MIN}–{PARTY_MAX} 人"
    return errors


def refusal(event: OpenDay, party_size: int, now: datetime) -> str:
    """Why a sign-up did not get its seats, in the words shown to the public."""
    if event.status == CANCELLED:
        return "该开放日已取消，无法报名"
    if event.status in (CLOSED, HELD) or event.signup_deadline <= now:
        return "报名已截止，无法再报名"
    left = event.capacity - event.seats_taken
    if left <= 0:
        return "名额已满，无法报名"
    return f"剩余名额不足：仅剩 {left} 个名额，请减少报名人数"


def already_signed_up(signup: Signup) -> str:
    if signup.pending:
        return ("您已报名本次开放日，正在等待短信验证码确认，无需重复报名。"
                f"验证码已发送到 {mask_phone(signup.phone)}，请打开短信中的链接输入验证码。")
    return ("您已报名本次开放日，无需重复报名。"
            "如需查看或取消，请使用报名成功短信中的链接。")


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(secret_key: str, open_day_id: int, phone: str, code: str) -> str:
    """The stored form of a code: an HMAC bound to the event and phone (a leaked table gives
    no code, and one sign-up's hash does not fit another)."""
    message = f"openday-code:{open_day_id}:{phone}:{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def clean_code(raw: str) -> str:
    """What was typed, as digits: full-width digits and spaces (一个一个输入) are accepted."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", raw or ""))[:20]


def browser_key(csrf_token: str) -> str | None:
    """The posting browser, as a hash of its CSRF token (unique to the browser's cookie)."""
    if not csrf_token:
        return None
    return hashlib.sha256(f"openday-browser:{csrf_token}".encode()).hexdigest()[:40]


def over_phone_limit(signups_in_a_day: int) -> bool:
    return signups_in_a_day >= PHONE_SIGNUPS_PER_DAY


# --- the sign-up steps (mixed into OpenDayService: self.db, secret_key, tokens, base_url) ---


class SignupDesk:
    def _holding(self, open_day_id: int, phone: str) -> Signup | None:
        return self.db.scalars(select(Signup).where(
            Signup.open_day_id == open_day_id, Signup.phone == phone, Signup.status == CONFIRMED
        ).execution_options(populate_existing=True)).first()

    def sign_up(self, open_day_id: int, inp: SignupInput, *, now: datetime,
                browser: str = "") -> Signup:
        """A pending sign-up holding its seats, and the SMS with its code. The sign-up is the
        caller's only write: on a racing duplicate it rolls the session back."""
        errors = validate_signup(inp)
        if errors:
            raise InvalidInput(errors)
        n, phone = int(inp.party_size), normalise_phone(inp.phone)
        key = browser_key(browser)
        if self.db.get(OpenDay, open_day_id) is None:
            raise OpenDayNotFound("开放日不存在")
        self.release_unconfirmed(now, open_day_id)  # also a lapsed hold of this very phone
        self._refuse_duplicate(self._holding(open_day_id, phone), key)
        recent = self.db.scalar(select(func.count(Signup.id)).where(
            Signup.phone == phone, Signup.created_at > now - timedelta(days=1)))
        if over_phone_limit(recent or 0):
            raise SignupRefused(f"该手机号码 24 小时内已报名 {PHONE_SIGNUPS_PER_DAY} 次，"
                                "请明天再报名。")
        code = new_code()
        signup = Signup(
            open_day_id=open_day_id, name=inp.name.strip(), phone=phone, identity=inp.identity,
            party_size=n, status=CONFIRMED, created_at=now, confirmed_at=None,
            code_hash=code_hash(self.secret_key, open_day_id, phone, code),
            code_expires_at=now + HOLD, code_attempts=0, browser_key=key,
        )
        self.db.add(signup)
        try:
            self.db.flush()  # the unique index decides between racing posts of one phone
        except IntegrityError:
            self.db.rollback()
            self._refuse_duplicate(self._holding(open_day_id, phone), key)
            raise
        # The database decides: the seats are taken only if they still fit, in one statement,
        # so concurrent sign-ups cannot overbook (and the CHECK constraint backs it up).
        taken = self.db.execute(
            update(OpenDay)
            .where(OpenDay.id == open_day_id, OpenDay.seats_taken + n <= OpenDay.capacity,
                   OpenDay.status == SCHEDULED, OpenDay.signup_deadline > now)
            .values(seats_taken=OpenDay.seats_taken + n)
            .execution_options(synchronize_session=False)
        ).rowcount
        event = self.db.get(OpenDay, open_day_id, populate_existing=True)
        assert event is not None
        if not taken:
            raise SignupRefused(refusal(event, n, now))  # the caller rolls back the row too
        minutes = int(HOLD.total_seconds() // 60)
        link = self.base_url + SIGNUP_PATH.format(token=self.cancel_tokens.dumps(str(signup.id)))
        queue_message(self.db, phone, "openday_code", code=code,
                      institution=event.institution.name, title=event.title, party_size=n,
                      minutes=minutes, link=link)
        return signup

    def _refuse_duplicate(self, existing: Signup | None, key: str | None) -> None:
        if existing is not None:
            same = key is not None and existing.browser_key == key
            raise AlreadySignedUp(already_signed_up(existing), existing.id, same)

    def signup_by_token(self, token: str) -> Signup:
        try:
            signup_id = int(self.cancel_tokens.loads(token))
        except (TokenInvalid, ValueError):
            raise OpenDayNotFound("链接无效或已过期") from None
        signup = self.db.get(Signup, signup_id)
        if signup is None:
            raise OpenDayNotFound("报名记录不存在")
        return signup

    def confirm(self, token: str, raw_code: str, *, now: datetime) -> Signup:
        """Confirm a pending sign-up with its SMS code; confirming twice changes nothing."""
        signup = self.signup_by_token(token)
        if signup.status != CONFIRMED:
            raise SignupRefused(
                "验证码已过期或错误次数过多，本次报名已作废，名额已释放。如需参加，请重新报名。"
                if signup.cancel_reason in (UNCONFIRMED, CODE_FAILED) else "该报名已取消。")
        if signup.confirmed_at is not None:
            return signup
        event = signup.open_day
        if event.status not in (SCHEDULED, CLOSED) or event.starts_at <= now:
            raise SignupRefused("该开放日已开始或已取消，无法确认报名。")
        if signup.code_expires_at is None or signup.code_expires_at <= now:
            self._release(signup, UNCONFIRMED, now, Signup.confirmed_at.is_(None))
            raise WrongCode("验证码已过期，名额已释放。如需参加，请重新报名。")
        code = clean_code(raw_code)
        if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
            raise InvalidInput({"code": f"请输入短信中的 {CODE_DIGITS} 位数字验证码"})
        counted = self.db.execute(  # one try, counted atomically (racing guesses included)
            update(Signup)
            .where(Signup.id == signup.id, Signup.status == CONFIRMED,
                   Signup.confirmed_at.is_(None), Signup.code_attempts < CODE_ATTEMPTS)
            .values(code_attempts=Signup.code_attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        self.db.refresh(signup)
        if signup.confirmed_at is not None:
            return signup
        expected = code_hash(self.secret_key, signup.open_day_id, signup.phone, code)
        if not counted or not hmac.compare_digest(signup.code_hash or "", expected):
            left = CODE_ATTEMPTS - signup.code_attempts
            if not counted or left <= 0:
                self._release(signup, CODE_FAILED, now, Signup.confirmed_at.is_(None))
                raise WrongCode("验证码错误次数过多，本次报名已作废，名额已释放。"
                                "如需参加，请重新报名。")
            raise WrongCode(f"验证码不正确，请核对短信后重新输入（还可以再试 {left} 次）。")
        done = self.db.execute(
            update(Signup)
            .where(Signup.id == signup.id, Signup.status == CONFIRMED,
                   Signup.confirmed_at.is_(None))
            .values(confirmed_at=now, code_hash=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        self.db.refresh(signup)
        if done:
            self._confirmed(signup, event, now)
        return signup

    def _confirmed(self, signup: Signup, event: OpenDay, now: datetime) -> None:
        link = self.base_url + SIGNUP_PATH.format(token=self.cancel_tokens.dumps(str(signup.id)))
        queue_message(self.db, signup.phone, "openday_confirmed",
                      institution=event.institution.name, title=event.title,
                      party_size=signup.party_size, link=link)
        reminder_at = event.starts_at - REMINDER_BEFORE
        if reminder_at > now:
            record_job(self.db, send_reminder, signup.id, run_at=reminder_at,
                       dedupe_key=f"openday-reminder:{signup.id}")

    def cancel(self, token: str, *, now: datetime) -> Signup:
        signup = self.signup_by_token(token)
        if signup.open_day.starts_at <= now:
            raise SignupRefused("活动已开始，无法取消报名")
        if not self._release(signup, BY_LINK, now):
            raise SignupRefused("该报名已取消，无需重复操作")
        self.db.refresh(signup)
        return signup

    def _release(self, signup: Signup, reason: str, now: datetime, *where) -> bool:
        """Cancel a sign-up holding seats and give them back, once (a conditional update)."""
        done = self.db.execute(
            update(Signup)
            .where(Signup.id == signup.id, Signup.status == CONFIRMED, *where)
            .values(status=CANCELLED, cancelled_at=now, cancel_reason=reason, code_hash=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if done:
            self.db.execute(
                update(OpenDay)
                .where(OpenDay.id == signup.open_day_id, OpenDay.seats_taken >= signup.party_size)
                .values(seats_taken=OpenDay.seats_taken - signup.party_size)
                .execution_options(synchronize_session=False)
            )
        return bool(done)

    def release_unconfirmed(self, now: datetime, open_day_id: int | None = None) -> int:
        """Release the seats of sign-ups whose code lapsed unconfirmed; returns how many."""
        stmt = select(Signup).where(Signup.status == CONFIRMED, Signup.confirmed_at.is_(None),
                                    Signup.code_expires_at <= now)
        if open_day_id is not None:
            stmt = stmt.where(Signup.open_day_id == open_day_id)
        lapsed = self.db.scalars(stmt.order_by(Signup.id)).all()
        return sum(self._release(s, UNCONFIRMED, now, Signup.confirmed_at.is_(None),
                                 Signup.code_expires_at <= now) for s in lapsed)


@task
def send_reminder(signup_id: int) -> None:
    """Remind a confirmed attendee the day before; skip cancelled sign-ups and events."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        signup = session.get(Signup, signup_id)
        if signup is None or signup.status != CONFIRMED or signup.confirmed_at is None:
            return
        event = signup.open_day
        if event.status not in (SCHEDULED, CLOSED):
            return
        when = event.starts_at.astimezone(settings.timezone).strftime("%m月%d日 %H:%M")
        queue_message(session, signup.phone, "openday_reminder",
                      institution=event.institution.name, title=event.title, when=when,
                      place=event.place)
