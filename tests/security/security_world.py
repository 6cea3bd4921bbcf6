"""A small two-office, two-institution city for the security tests, with known personal data.

Office A (district A's civil affairs) handles complaints about institution A, office B those
about institution B. Every personal value is unique, so a test can search any output for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from complaints.models import Complaint
from complaints.rules.intake import ComplaintInput
from complaints.services.filing import build_services
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.backoffice.models import DisclosureDraft
from portal.core.db import utcnow
from portal.core.settings import get_settings
from portal.institutions.models import Inspection, Institution
from portal.opendays.models import OpenDay
from portal.opendays.services.events import OpenDayService, SignupInput
from portal.reviews.models import Review
from portal.reviews.services import ReviewInput, ReviewService

from factories import department, district, institution, user
from factories.disclosures import credit_entry, inspection, penalty
from factories.opendays import confirmed_signup

# Unique values: none of them can appear anywhere by accident.
COMPLAINANT_A = ("欧阳守秘", "13511112222")
COMPLAINANT_B = ("司马藏名", "13633334444")
SIGNUP_A = ("诸葛报名", "13755556666")
SIGNUP_B = ("上官到场", "13799990000")
REVIEW_PHONES = ("13877778888", "13866665555")
SECRET_TEXT_B = "乙机构的投诉内容暗号QX7"
RATINGS = {"rating_attitude": "5", "rating_hygiene": "4", "rating_meals": "3",
           "rating_care": "4", "rating_fees": "5"}


@dataclass
class Side:
    """One office with its institution and records."""

    office_id: int
    institution: Institution
    staff: User
    institution_staff: User
    complaint: Complaint
    open_day: OpenDay
    review: Review
    inspection: Inspection
    penalty_id: int = 0
    credit_entry_id: int = 0
    draft_id: int = 0


@dataclass
class World:
    a: Side
    b: Side
    supervisor: User
    operator: User
    admin: User

    @property
    def personal_values(self) -> list[str]:
        """Full names and phones that must never leave the staff pages unmasked."""
        return [*COMPLAINANT_A, *COMPLAINANT_B, *SIGNUP_A, *SIGNUP_B, *REVIEW_PHONES]


def file_complaint(db, inst: Institution, person: tuple[str, str], text: str) -> Complaint:
    intake, _ = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="web", category_code="service_quality", description=text,
        institution_id=inst.id, complainant_name=person[0], complainant_phone=person[1]))
    db.flush()
    return complaint


def _open_day(db, inst: Institution, person: tuple[str, str]) -> OpenDay:
    now = utcnow()
    row = OpenDay(institution_id=inst.id, title=f"{inst.name}开放日", starts_at=now + timedelta(days=5),
                  ends_at=now + timedelta(days=5, hours=3), signup_deadline=now + timedelta(days=4),
                  place="一楼大厅", capacity=20, seats_taken=0, status="scheduled")
    db.add(row)
    db.flush()
    confirmed_signup(OpenDayService(db, get_settings().secret_key), row.id,
                     SignupInput(name=person[0], phone=person[1], identity="家属", party_size="1"),
                     now=now)
    return row


def _review(db, inst: Institution, phone: str, moderator: User) -> Review:
    service = ReviewService(db, get_settings().secret_key)
    review = service.submit(ReviewInput(institution_id=inst.id, ratings=RATINGS,
                                        text="饭菜可口，护理员耐心细致。", phone=phone,
                                        reviewer_name="家属"), ip="10.0.0.1", now=utcnow())
    return service.moderate(review.id, moderator, approve=True, reason="", now=utcnow())


def _side(db, tag: str, person: tuple[str, str], signup: tuple[str, str], review_phone: str,
          moderator: User, text: str) -> Side:
    d = district(db, name=f"安全测试{tag}区")
    office = department(db, "civil_affairs", d)
    inst = institution(db, district_=d, name=f"安全测试{tag}颐养院")
    staff = user(db, Role.DEPARTMENT, department_id=office.id)
    inst_staff = user(db, Role.INSTITUTION, institution_id=inst.id)
    complaint = file_complaint(db, inst, person, text)
    assert complaint.responsible_department_id == office.id
    market = department(db, "market_regulation", d)
    return Side(office_id=office.id, institution=inst, staff=staff,
                institution_staff=inst_staff, complaint=complaint,
                open_day=_open_day(db, inst, signup),
                review=_review(db, inst, review_phone, moderator),
                inspection=inspection(db, inst, market),
                penalty_id=penalty(db, inst, market).id,
                credit_entry_id=credit_entry(db, inst, dept=market).id,
                draft_id=_draft(db, inst, inst_staff).id)


def _draft(db, inst: Institution, author: User) -> DisclosureDraft:
    """A disclosure draft waiting for review (the back office's own record)."""
    row = DisclosureDraft(institution_id=inst.id, section="basic", status="submitted",
                          payload={"phone": "010-12345678"}, author_id=author.id,
                          submitted_at=utcnow())
    db.add(row)
    db.flush()
    return row


def build_world(db) -> World:
    department(db, "civil_affairs")  # the city office, for routing fall-backs
    supervisor = user(db, Role.SUPERVISOR)
    a = _side(db, "甲", COMPLAINANT_A, SIGNUP_A, REVIEW_PHONES[0], supervisor,
              "护理员给老人喂饭太快，老人呛咳。")
    b = _side(db, "乙", COMPLAINANT_B, SIGNUP_B, REVIEW_PHONES[1], supervisor,
              f"夜间无人值守，老人摔倒无人发现。{SECRET_TEXT_B}")
    world = World(a=a, b=b, supervisor=supervisor, operator=user(db, Role.OPERATOR),
                  admin=user(db, Role.ADMIN))
    db.commit()
    return world


def app_routes() -> list[tuple[str, str, object]]:
    """(method, path template, endpoint) for every route of the app, mounts walked."""
    from starlette.routing import Mount, Route

    from portal.app import create_app

    found: list[tuple[str, str, object]] = []

    def walk(routes, prefix: str = "") -> None:
        for route in routes:
            if isinstance(route, Mount):
                walk(route.routes, prefix + route.path)
            elif isinstance(route, Route):
                for method in sorted((route.methods or set()) - {"HEAD"}):
                    found.append((method, prefix + route.path, route.endpoint))

    walk(create_app().routes)
    return found
