"""Complaint services: intake with routing and the clock, the handling lifecycle, visibility."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from complaints.exceptions import InvalidComplaint, NotAllowed
from complaints.models import OPEN_STATUSES, CoHandling, Complaint, ComplaintEvent
from complaints.rules import clock
from complaints.rules.calendar import WorkCalendar
from complaints.rules.intake import ComplaintInput, normalise_phone, validate
from complaints.rules.numbers import complaint_number, number_key
from complaints.rules.routing import NoOffice, OfficeMap, Rule, route
from complaints.services.calendar_store import load_calendar
from complaints.services.events import add_event
from complaints.services.handling import HandlingService
from complaints.services.reference import RuleInfo, reference
from complaints.services.streets import street_office_ids, supervised_district
from complaints.services.tokens import tracking_link
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.core import audit
from portal.core.db import next_id, utcnow
from portal.core.notify import queue_message
from portal.core.settings import Settings
from portal.institutions.models import Institution
from portal.orgs.models import District


@dataclass(frozen=True)
class ClockConfig:
    answer_days: int = 5
    urgent_days: int = 1
    sign_days: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> ClockConfig:
        return cls(settings.answer_working_days, settings.urgent_working_days,
                   settings.sign_working_days)


_BY_IDEMPOTENCY_KEY = select(Complaint).where(Complaint.idempotency_key == bindparam("key"))


def office_map(session: Session) -> OfficeMap:
    return reference(session).offices


def active_rules(session: Session) -> Mapping[str, RuleInfo]:
    """The active rules (complaint categories) by code, in their order."""
    return reference(session).rules


def category_labels(session: Session) -> dict[str, str]:
    """The active categories' codes and labels in their order (a filter's options)."""
    return {code: rule.label for code, rule in reference(session).rules.items()}


class ComplaintService:
    def __init__(self, session: Session, calendar: WorkCalendar, config: ClockConfig,
                 tz, *, number_key: bytes) -> None:
        self.db = session
        self.calendar = calendar
        self.config = config
        self.tz = tz
        self.number_key = number_key

    def _tracking_no(self, received_at: datetime, complaint_id: int) -> str:
        """The public number: the local day of receipt and 8 digits that cannot be
        enumerated (complaints/rules/numbers.py)."""
        return complaint_number(received_at.astimezone(self.tz).date(), complaint_id,
                                self.number_key)

    # --- intake ---------------------------------------------------------------------------
    def submit(self, inp: ComplaintInput, *, actor: User | None = None,
               now: datetime | None = None) -> tuple[Complaint, bool]:
        """File a complaint: validate, route, start the clock. Returns (complaint, created).

        A repeated idempotency key returns the complaint filed the first time. Not looked up
        first: the key's unique constraint refuses the second INSERT (a retry is rare, a
        statement per filing is not), and an input refused as invalid is looked up too, so a
        retry gets its complaint even if the rules changed since.
        """
        now = now or utcnow()
        phone = normalise_phone(inp.complainant_phone)
        inp = ComplaintInput(**{**inp.__dict__, "complainant_phone": phone})
        rules = active_rules(self.db)
        institution, district, errors = self._checked(inp, now)
        if errors:
            return self._filed_before(inp, InvalidComplaint(errors))
        rule = rules[inp.category_code]
        district_id = institution.district_id if institution else inp.district_id
        ref = reference(self.db)
        try:
            routing = route(Rule(rule.code, rule.responsible_type, rule.co_handling_types,
                                 rule.street_level),
                            district_id, ref.offices,
                            street_id=institution.street_id if institution else None,
                            street_offices=ref.street_offices)
        except NoOffice as exc:
            return self._filed_before(inp, InvalidComplaint(
                {"category": f"尚未设置负责该类投诉的部门（{exc.type_code}），请联系管理员"}))
        received_at = inp.received_at or now
        days = self.config.urgent_days if inp.urgent else self.config.answer_days
        deadline = clock.compute_deadline(received_at, days, self.calendar, self.tz)
        sign_deadline = clock.compute_deadline(received_at, self.config.sign_days, self.calendar, self.tz)
        anonymous = inp.anonymous
        complaint = Complaint(
            channel=inp.channel,
            idempotency_key=inp.idempotency_key,
            institution_id=institution.id if institution else None,
            place_name="" if institution else inp.place_name.strip(),
            place_address="" if institution else inp.place_address.strip(),
            district_id=district_id,
            category_code=rule.code,
            description=inp.description.strip(),
            urgent=inp.urgent,
            anonymous=anonymous,
            complainant_name="" if anonymous else inp.complainant_name.strip(),
            complainant_phone="" if anonymous else phone,
            access_code=f"{secrets.randbelow(10**6):06d}" if anonymous or not phone else "",
            status="assigned",
            responsible_department_id=routing.responsible_office,
            received_at=received_at,
            created_at=now,
            created_by_id=actor.id if actor else None,
            working_days=days,
            due_at=deadline.due_at,
            due_last_day=deadline.last_day,
            provisional=deadline.provisional,
            sign_due_at=sign_deadline.due_at,
        )
        # On PostgreSQL the id is taken first, so the row is written whole in one INSERT: the
        # tracking number's UPDATE after it was intake's dearest statement (a second version of
        # the row in every index of complaints, 0.7 ms of 4.1, bench/RESULTS.md sixth pass).
        taken = next_id(self.db, Complaint)
        if taken is not None:
            complaint.id, complaint.tracking_no = taken, self._tracking_no(received_at, taken)
        self.db.add(complaint)
        try:
            self.db.flush()
        except IntegrityError:
            # The idempotency key was filed before (or by a concurrent request).
            self.db.rollback()
            existing = self._by_idempotency_key(inp.idempotency_key or "")
            if existing:
                return existing, False
            raise
        if complaint.tracking_no is None:
            complaint.tracking_no = self._tracking_no(received_at, complaint.id)
        actor_id = actor.id if actor else None
        self._event(complaint, "received", actor_id, at=now,
                    data={"channel": inp.channel})
        self._event(complaint, "assigned", actor_id, department_id=routing.responsible_office,
                    at=now, data={"fell_back_to_city": routing.fell_back_to_city,
                                  **({"street_office": True} if routing.street_office else {})})
        for office in routing.co_offices:
            self.db.add(CoHandling(complaint_id=complaint.id, department_id=office, requested_at=now))
            self._event(complaint, "co_handling_requested", actor_id, department_id=office, at=now)
        if complaint.complainant_phone:
            due_local = deadline.due_at.astimezone(self.tz) - timedelta(seconds=1)
            queue_message(self.db, complaint.complainant_phone, "complaint_received",
                          tracking_no=complaint.tracking_no, due_date=f"{due_local:%Y年%m月%d日}")
        return complaint, True

    def _checked(self, inp: ComplaintInput, now: datetime
                 ) -> tuple[Institution | None, District | None, dict[str, str]]:
        """The institution and district named, and the problems of the input (intake.validate)."""
        institution = self.db.get(Institution, inp.institution_id) if inp.institution_id else None
        district = self.db.get(District, inp.district_id) if inp.district_id else None
        errors = validate(inp, now=now, categories=set(active_rules(self.db)),
                          institution_exists=institution is not None,
                          district_exists=district is not None)
        return institution, district, errors

    def problems(self, inp: ComplaintInput, now: datetime | None = None) -> dict[str, str]:
        """What `submit` would refuse in this input, without filing it (the form shown again
        for another reason, its photos, lists every problem at once)."""
        inp = ComplaintInput(**{**inp.__dict__,
                                "complainant_phone": normalise_phone(inp.complainant_phone)})
        return self._checked(inp, now or utcnow())[2]

    def _filed_before(self, inp: ComplaintInput, error: InvalidComplaint) -> tuple[Complaint, bool]:
        """The complaint an idempotency key filed before; else raise `error`."""
        existing = self._by_idempotency_key(inp.idempotency_key) if inp.idempotency_key else None
        if existing is None:
            raise error
        return existing, False

    def _by_idempotency_key(self, key: str) -> Complaint | None:
        return self.db.scalars(_BY_IDEMPOTENCY_KEY, {"key": key}).first()

    def _event(self, complaint: Complaint, kind: str, actor_id: int | None,
               **fields) -> ComplaintEvent:
        return add_event(self.db, complaint, kind, actor_id, **fields)

    # --- reading --------------------------------------------------------------------------
    def visible_to(self, user: User):
        return visible_to(user)

    def get_for(self, user: User, complaint_id: int) -> Complaint | None:
        return self.db.scalars(
            select(Complaint)
            .options(joinedload(Complaint.institution), joinedload(Complaint.responsible_department),
                     joinedload(Complaint.rule))
            .where(Complaint.id == complaint_id, self.visible_to(user))
        ).first()

    def may_see_personal_data(self, user: User, complaint: Complaint) -> bool:
        return may_see_personal_data(user, complaint)

    def reveal_contact(self, user: User, complaint: Complaint) -> tuple[str, str]:
        if not self.may_see_personal_data(user, complaint):
            raise NotAllowed("您无权查看投诉人联系方式")
        audit.record(self.db, user.id, "unmask", "complaint", complaint.id,
                     fields=["complainant_name", "complainant_phone"])
        return complaint.complainant_name, complaint.complainant_phone

    def open_count_by_office(self) -> dict[int, int]:
        return dict(self.db.execute(
            select(Complaint.responsible_department_id, func.count())
            .where(Complaint.status.in_(OPEN_STATUSES))
            .group_by(Complaint.responsible_department_id)).all())


def may_see_personal_data(user: User, complaint: Complaint) -> bool:
    """The assigned office, operators and civil-affairs supervisors (each unmasking logged):
    the handlers, who also read answers and descriptions unscrubbed (portal.core.privacy.scrub)."""
    if user.role_enum in (Role.OPERATOR, Role.SUPERVISOR):
        return True
    return (user.role_enum is Role.DEPARTMENT
            and user.department_id == complaint.responsible_department_id)


def visible_to(user: User):
    """A WHERE clause limiting complaints to what this user may open (True/False for all/none)."""
    role = user.role_enum
    if role in (Role.SUPERVISOR, Role.ADMIN):
        return True
    if role is Role.OPERATOR:
        return Complaint.created_by_id == user.id
    if role is Role.DEPARTMENT and user.department_id:
        co = select(CoHandling.complaint_id).where(CoHandling.department_id == user.department_id)
        clauses = [Complaint.responsible_department_id == user.department_id,
                   Complaint.id.in_(co)]
        district_id = supervised_district(user.department)
        if district_id is not None:
            # A district's civil affairs reads its streets' complaints (it supervises them).
            clauses.append(Complaint.responsible_department_id.in_(street_office_ids(district_id)))
        return or_(*clauses)
    return False


def build_services(session: Session, settings: Settings) -> tuple[ComplaintService, HandlingService]:
    """The intake and handling services for one request, sharing one loaded calendar."""
    calendar = load_calendar(session)
    return (
        ComplaintService(session, calendar, ClockConfig.from_settings(settings), settings.timezone,
                         number_key=number_key(settings.secret_key)),
        HandlingService(session, calendar, settings.timezone,
                        tracking_link=lambda complaint_id: tracking_link(settings, complaint_id)),
    )
