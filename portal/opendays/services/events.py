"""Open-day rules and the service: create, list, feedback, sweeps (sign-ups: signups.py)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import bindparam, func, select, union_all, update
from sqlalchemy.orm import Session, joinedload

from portal.accounts.models import User
from portal.core.formfields import parse_whole
from portal.core.notify import queue_message
from portal.core.sqljson import decode_rows, parse_utc, rows_json
from portal.core.tokens import TokenInvalid, TokenService
from portal.institutions.models import Institution
from portal.opendays.exceptions import (  # noqa: F401  (re-exported: callers import them from here)
    AlreadySignedUp,
    InvalidInput,
    NotYourInstitution,
    OpenDayError,
    OpenDayNotFound,
    SignupRefused,
    WrongCode,
)
from portal.opendays.models import (
    CANCELLED,
    CAPACITY_MAX,
    CAPACITY_MIN,
    CLOSED,
    CONFIRMED,
    HELD,
    RATING_MAX,
    RATING_MIN,
    SCHEDULED,
    OpenDay,
    Signup,
)
from portal.opendays.services.signups import (  # noqa: F401  (re-exported, as above)
    SIGNUP_PATH,
    SignupDesk,
    SignupInput,
    refusal,
    validate_signup,
)
from portal.orgs.models import District
from search.tasks import enqueue_index_update

CANCEL_PURPOSE, FEEDBACK_PURPOSE = "openday-cancel", "openday-feedback"
CANCEL_MAX_AGE = 180 * 86400
FEEDBACK_MAX_AGE = 30 * 86400
TITLE_MAX, PLACE_MAX, DESCRIPTION_MAX, NOTES_MAX = 100, 200, 2000, 1000
FEEDBACK_TEXT_MAX = 500
# Paths inside the /opendays mount, for links sent by SMS (no request to build a URL from).
FEEDBACK_PATH = "/opendays/feedback/{token}"


# --- pure rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EventInput:
    title: str
    starts_at: str  # "YYYY-MM-DDTHH:MM" local time, as <input type="datetime-local"> sends
    ends_at: str
    signup_deadline: str
    place: str
    capacity: str
    description: str = ""
    accessibility_notes: str = ""


def parse_local(raw: str, tz: tzinfo) -> datetime | None:
    try:
        value = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def validate_event(inp: EventInput, *, now: datetime, tz: tzinfo) -> dict[str, str]:
    """Every problem with a new event keyed by field name; empty when it may be published."""
    errors: dict[str, str] = {}
    if not inp.title.strip():
        errors["title"] = "请填写活动名称"
    elif len(inp.title.strip()) > TITLE_MAX:
        errors["title"] = f"活动名称不能超过 {TITLE_MAX} 个字"
    if not inp.place.strip():
        errors["place"] = "请填写活动地点"
    elif len(inp.place.strip()) > PLACE_MAX:
        errors["place"] = f"活动地点不能超过 {PLACE_MAX} 个字"
    starts = parse_local(inp.starts_at, tz)
    ends = parse_local(inp.ends_at, tz)
    deadline = parse_local(inp.signup_deadline, tz)
    if starts is None:
        errors["starts_at"] = "请填写开始时间（如 2026-12-01 09:30）"
    elif starts <= now:
        errors["starts_at"] = "开始时间不能早于现在"
    if ends is None:
        errors["ends_at"] = "请填写结束时间"
    elif starts is not None and ends <= starts:
        errors["ends_at"] = "结束时间须晚于开始时间"
    if deadline is None:
        errors["signup_deadline"] = "请填写报名截止时间"
    elif starts is not None and deadline >= starts:
        errors["signup_deadline"] = "报名截止时间须早于开始时间"
    elif deadline <= now:
        errors["signup_deadline"] = "报名截止时间不能早于现在"
    if parse_whole(inp.capacity, CAPACITY_MIN, CAPACITY_MAX) is None:
        errors["capacity"] = f"名额须为 {CAPACITY_MIN}–{CAPACITY_MAX} 之间的整数"
    if len(inp.description.strip()) > DESCRIPTION_MAX:
        errors["description"] = f"活动介绍不能超过 {DESCRIPTION_MAX} 个字"
    if len(inp.accessibility_notes.strip()) > NOTES_MAX:
        errors["accessibility_notes"] = f"无障碍说明不能超过 {NOTES_MAX} 个字"
    return errors


def month_weeks(year: int, month: int) -> list[list[date]]:
    return calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)


@dataclass(frozen=True)
class FeedbackSummary:
    count: int
    average: float | None


# --- queries for the periodic jobs (pure: no writes) -----------------------------------------


def institutions_without_open_day(session: Session, now: datetime, period_days: int) -> list[int]:
    """Residential institutions that held no open day ending within the last `period_days`."""
    since = now - timedelta(days=period_days)
    held = select(OpenDay.institution_id).where(
        OpenDay.status == HELD, OpenDay.ends_at > since, OpenDay.ends_at <= now
    )
    return list(
        session.scalars(
            select(Institution.id)
            .where(Institution.kind == "residential", Institution.id.not_in(held))
            .order_by(Institution.id)
        )
    )


@dataclass(frozen=True)
class ShownOpenDay:
    """An open day as an institution's page shows it (read with the page's statement)."""

    id: int
    title: str
    place: str
    status: str
    starts_at: datetime
    ends_at: datetime
    signup_deadline: datetime
    capacity: int
    seats_taken: int

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seats_taken)


@dataclass(frozen=True)
class InstitutionOpenDays:
    """What an institution's public page shows of its open days."""

    upcoming: list[ShownOpenDay]  # scheduled or closed for sign-up, not yet started; soonest first
    held: list[ShownOpenDay]  # newest first
    last_held_end: datetime | None  # when the last held open day ended (any age)


# The next and the last few open days of the institution ("institution_id", at "now", "limit"
# of each) as one JSON column: the public institution page reads it with its document
# (portal/institutions/services/page_live.py), one statement for the page's live parts.
_SHOWN_COLUMNS = (OpenDay.id, OpenDay.title, OpenDay.place, OpenDay.status, OpenDay.starts_at,
                  OpenDay.ends_at, OpenDay.signup_deadline, OpenDay.capacity, OpenDay.seats_taken)
_MINE = select(*_SHOWN_COLUMNS).where(OpenDay.institution_id == bindparam("institution_id"))
_UPCOMING = _MINE.where(
    OpenDay.status.in_((SCHEDULED, CLOSED)), OpenDay.starts_at > bindparam("now")
).order_by(OpenDay.starts_at, OpenDay.id).limit(bindparam("limit"))
_HELD = _MINE.where(OpenDay.status == HELD, OpenDay.ends_at <= bindparam("now")).order_by(
    OpenDay.ends_at.desc(), OpenDay.id.desc()).limit(bindparam("limit"))
OPEN_DAYS_JSON = rows_json(
    union_all(select(_UPCOMING.subquery()), select(_HELD.subquery())).subquery())


def open_days_params(institution_id: int, now: datetime, limit: int = 5) -> dict[str, Any]:
    return {"institution_id": institution_id, "now": now, "limit": limit}


def open_days_from_json(text: str | None) -> InstitutionOpenDays:
    """OPEN_DAYS_JSON's value as the page shows it."""
    both = [ShownOpenDay(i, title, place, status, *map(parse_utc, (starts, ends, deadline)),
                         capacity, taken)  # type: ignore[arg-type]
            for i, title, place, status, starts, ends, deadline, capacity, taken
            in decode_rows(text)]
    # The two halves are disjoint (held vs scheduled/closed); an aggregate keeps no order.
    upcoming = sorted((e for e in both if e.status != HELD), key=lambda e: (e.starts_at, e.id))
    held = sorted((e for e in both if e.status == HELD), key=lambda e: (e.ends_at, e.id),
                  reverse=True)
    return InstitutionOpenDays(upcoming, held, held[0].ends_at if held else None)


def held_open_day_recently(
    session: Session, institution_id: int, now: datetime, period_days: int
) -> bool:
    """For the institution page: did this institution hold an open day in the period?"""
    since = now - timedelta(days=period_days)
    return bool(session.scalar(
        select(func.count(OpenDay.id)).where(
            OpenDay.institution_id == institution_id, OpenDay.status == HELD,
            OpenDay.ends_at > since, OpenDay.ends_at <= now,
        )
    ))


# --- the service --------------------------------------------------------------------------


class OpenDayService(SignupDesk):
    """Open days; the public's sign-up, confirmation and cancellation are in SignupDesk."""

    def __init__(self, session: Session, secret_key: str, base_url: str = "") -> None:
        """`base_url` (PORTAL_BASE_URL) makes the links sent by SMS absolute."""
        self.db = session
        self.secret_key = secret_key
        self.base_url = base_url.rstrip("/")
        self.cancel_tokens = TokenService(secret_key, CANCEL_PURPOSE, CANCEL_MAX_AGE)
        self.feedback_tokens = TokenService(secret_key, FEEDBACK_PURPOSE, FEEDBACK_MAX_AGE)

    # reading

    def get(self, open_day_id: int) -> OpenDay:
        event = self.db.get(OpenDay, open_day_id, options=[joinedload(OpenDay.institution)])
        if event is None:
            raise OpenDayNotFound("开放日不存在")
        return event

    def districts(self) -> list[District]:
        return list(self.db.scalars(select(District).order_by(District.code)))

    def _listed(self, district_id: int | None):
        stmt = (
            select(OpenDay)
            .join(OpenDay.institution)
            .options(joinedload(OpenDay.institution).joinedload(Institution.district))
            .where(OpenDay.status != CANCELLED)
        )
        if district_id:
            stmt = stmt.where(Institution.district_id == district_id)
        return stmt

    def upcoming(self, now: datetime, district_id: int | None = None) -> list[OpenDay]:
        stmt = self._listed(district_id).where(
            OpenDay.ends_at > now, OpenDay.status.in_((SCHEDULED, CLOSED))
        )
        return list(self.db.scalars(stmt.order_by(OpenDay.starts_at, OpenDay.id).limit(200)))

    def between(
        self, start: datetime, end: datetime, district_id: int | None = None
    ) -> list[OpenDay]:
        stmt = self._listed(district_id).where(OpenDay.starts_at >= start, OpenDay.starts_at < end)
        return list(self.db.scalars(stmt.order_by(OpenDay.starts_at, OpenDay.id)))

    def of_institution(self, institution_id: int) -> list[OpenDay]:
        return list(self.db.scalars(
            select(OpenDay).where(OpenDay.institution_id == institution_id)
            .order_by(OpenDay.starts_at.desc(), OpenDay.id.desc())
        ))

    def overdue_institutions(self, now: datetime, period_days: int) -> list[Institution]:
        ids = institutions_without_open_day(self.db, now, period_days)
        if not ids:
            return []
        return list(self.db.scalars(
            select(Institution).options(joinedload(Institution.district))
            .where(Institution.id.in_(ids)).order_by(Institution.district_id, Institution.name_pinyin,
                                                        Institution.name)
        ))

    def signups(self, event: OpenDay, viewer: User) -> list[Signup]:
        """The attendee list with phones: the institution's own staff and civil affairs only."""
        if viewer.role == "institution" and viewer.institution_id != event.institution_id:
            raise NotYourInstitution("只能查看本机构开放日的报名名单")
        return list(self.db.scalars(
            select(Signup).where(Signup.open_day_id == event.id).order_by(Signup.id)
        ))

    def feedback_summary(self, open_day_id: int) -> FeedbackSummary:
        count, avg = self.db.execute(
            select(func.count(Signup.feedback_rating), func.avg(Signup.feedback_rating)).where(
                Signup.open_day_id == open_day_id, Signup.feedback_rating.is_not(None)
            )
        ).one()
        return FeedbackSummary(int(count or 0), round(float(avg), 1) if avg is not None else None)

    # institution staff

    def create(self, inp: EventInput, actor: User, *, now: datetime, tz: tzinfo) -> OpenDay:
        if actor.institution_id is None:
            raise NotYourInstitution("只有机构账号可以发布开放日")
        errors = validate_event(inp, now=now, tz=tz)
        if errors:
            raise InvalidInput(errors)
        event = OpenDay(
            institution_id=actor.institution_id,
            title=inp.title.strip(),
            starts_at=parse_local(inp.starts_at, tz),
            ends_at=parse_local(inp.ends_at, tz),
            signup_deadline=parse_local(inp.signup_deadline, tz),
            place=inp.place.strip(),
            capacity=int(inp.capacity),
            seats_taken=0,
            description=inp.description.strip(),
            accessibility_notes=inp.accessibility_notes.strip(),
            status=SCHEDULED,
            created_by_id=actor.id,
            created_at=now,
        )
        self.db.add(event)
        self.db.flush()
        enqueue_index_update(self.db, event.institution_id)  # open days are searchable
        return event

    def feedback_signup(self, token: str) -> Signup:
        try:
            signup_id = int(self.feedback_tokens.loads(token))
        except (TokenInvalid, ValueError):
            raise OpenDayNotFound("链接无效或已过期") from None
        signup = self.db.get(Signup, signup_id)
        if (signup is None or signup.status != CONFIRMED or signup.confirmed_at is None
                or signup.open_day.status != HELD):
            raise OpenDayNotFound("该报名无法评价")
        return signup

    def give_feedback(self, token: str, rating: str, text: str, *, now: datetime) -> Signup:
        signup = self.feedback_signup(token)
        errors: dict[str, str] = {}
        value = parse_whole(rating, RATING_MIN, RATING_MAX)
        if value is None:
            errors["rating"] = "请为本次开放日打分（1–5 星）"
        if len(text.strip()) > FEEDBACK_TEXT_MAX:
            errors["text"] = f"意见不能超过 {FEEDBACK_TEXT_MAX} 个字"
        if errors:
            raise InvalidInput(errors)
        done = self.db.execute(
            update(Signup)
            .where(Signup.id == signup.id, Signup.feedback_at.is_(None))
            .values(feedback_rating=value, feedback_text=text.strip(), feedback_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not done:
            raise SignupRefused("您已评价过本次开放日，感谢参与")
        self.db.refresh(signup)
        return signup

    # periodic sweeps (called by portal.opendays.tasks)

    def close_signups_due(self, now: datetime) -> int:
        return self.db.execute(
            update(OpenDay)
            .where(OpenDay.status == SCHEDULED, OpenDay.signup_deadline <= now)
            .values(status=CLOSED)
            .execution_options(synchronize_session=False)
        ).rowcount

    def mark_held(self, now: datetime) -> list[int]:
        """Events that ended become held; each confirmed attendee is asked for feedback once."""
        due = self.db.scalars(
            select(OpenDay.id).where(
                OpenDay.status.in_((SCHEDULED, CLOSED)), OpenDay.ends_at <= now
            )
        ).all()
        held = []
        for open_day_id in due:
            # The conditional update makes a second run (or a second worker) ask nobody twice.
            if not self.db.execute(
                update(OpenDay)
                .where(OpenDay.id == open_day_id, OpenDay.status.in_((SCHEDULED, CLOSED)))
                .values(status=HELD)
                .execution_options(synchronize_session=False)
            ).rowcount:
                continue
            held.append(open_day_id)
            event = self.get(open_day_id)
            for signup in self.db.scalars(
                select(Signup).where(Signup.open_day_id == open_day_id, Signup.status == CONFIRMED,
                                     Signup.confirmed_at.is_not(None))
            ):
                token = self.feedback_tokens.dumps(str(signup.id))
                link = self.base_url + FEEDBACK_PATH.format(token=token)
                queue_message(self.db, signup.phone, "openday_feedback",
                              institution=event.institution.name, title=event.title, link=link)
        return held
