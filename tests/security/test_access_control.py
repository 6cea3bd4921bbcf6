"""Other offices' and institutions' records: every route with an id, asked for the other side's
id by office A's and institution A's staff, answers 404 (or 403 for public records) and never
shows or changes office B's data.

The routes are walked from the app, so a new route with an id parameter is checked at once
(and fails until its parameter is mapped below). Scoping is SQL WHERE clauses that behave the
same on both engines: SQLite only.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from complaints.models import Complaint, ComplaintEvent
from portal.accounts.rules.roles import Role
from portal.backoffice.models import DisclosureDraft
from portal.institutions.models import CreditEntry, Inspection, Institution, Penalty
from portal.opendays.models import Signup
from portal.reviews.models import Review

from factories import PASSWORD
from security_world import (
    COMPLAINANT_B,
    SECRET_TEXT_B,
    SIGNUP_A,
    SIGNUP_B,
    World,
    app_routes,
    build_world,
)
from support import csrf_token, login

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# Roles bound to one office or institution (city-wide supervisors and admins see everything).
SCOPED = (Role.DEPARTMENT, Role.INSTITUTION, Role.OPERATOR)

# Path parameter -> (the other side's id, answers allowed). Public records (the disclosed
# inspections, penalties and credit entries) may say 403: their existence is no secret.
NOT_FOUND = {404}
PARAMS = {
    "complaint_id": (lambda w: w.b.complaint.id, NOT_FOUND),
    "open_day_id": (lambda w: w.b.open_day.id, NOT_FOUND),
    "review_id": (lambda w: w.b.review.id, NOT_FOUND),
    "inspection_id": (lambda w: w.b.inspection.id, {403, 404}),
    "penalty_id": (lambda w: w.b.penalty_id, {403, 404}),
    "entry_id": (lambda w: w.b.credit_entry_id, {403, 404}),
    "draft_id": (lambda w: w.b.draft_id, NOT_FOUND),
    # The registry (/admin/registry): another district's institution is civil affairs' of
    # that district (403); its place pages answer 404 for an institution that is no place.
    "institution_id": (lambda w: w.b.institution.id, {403, 404}),
    "change_id": (lambda w: 0, NOT_FOUND),  # a status change: none in this world
    # Not an id: a section of the signed-in institution's own disclosures (/manage/{section}).
    "section": (lambda w: "basic", {200, 303, 400}),
    # Not an id: the place of a photo within the complaint the path names (the other side's).
    "position": (lambda w: 1, NOT_FOUND),
}
# Routes where any department may act on any institution by design (government records are
# entered by whichever department inspected; the page shows public data only; civil affairs
# (民政牵头) supervises every institution, and its institution dashboard holds aggregates only).
CITY_WIDE = {"/gov/institutions/{institution_id:int}", "/dashboard/institutions/{institution_id:int}"}


def scoped_routes() -> list[tuple[str, str, list[Role]]]:
    found = []
    for method, path, endpoint in app_routes():
        allowed = getattr(endpoint, "allowed_roles", None)
        if allowed is None or "{" not in path:
            continue
        roles = [r for r in SCOPED if r in allowed]
        if roles and not any(path.startswith(p) for p in CITY_WIDE):
            found.append((method, path, roles))
    return found


def actor(world: World, role: Role):
    return {Role.DEPARTMENT: world.a.staff, Role.INSTITUTION: world.a.institution_staff,
            Role.OPERATOR: world.operator}[role]


def concrete(path: str, world: World) -> tuple[str, set[int]]:
    allowed: set[int] = set()

    def fill(match: re.Match) -> str:
        name = match.group(1)
        assert name in PARAMS, f"new id parameter {name!r}: map it to the other side's record"
        other_id, statuses = PARAMS[name]
        allowed.update(statuses)
        return str(other_id(world))

    return re.sub(r"\{(\w+)(?::\w+)?\}", fill, path), allowed


def snapshot(db, world: World) -> tuple:
    """Everything the other side's routes could change."""
    db.expire_all()
    b = world.b
    complaint = db.get(Complaint, b.complaint.id)
    return (
        complaint.status, complaint.responsible_department_id, complaint.answer_text,
        complaint.extension_days, complaint.supervised_at,
        db.scalars(select(ComplaintEvent.id).where(
            ComplaintEvent.complaint_id == b.complaint.id)).all(),
        db.get(Review, b.review.id).reply_text,
        db.get(Inspection, b.inspection.id).rectification_status,
        db.get(Penalty, b.penalty_id).status,
        db.get(CreditEntry, b.credit_entry_id).removed_on,
        db.scalars(select(Signup.status).where(Signup.open_day_id == b.open_day.id)).all(),
        db.get(DisclosureDraft, b.draft_id).status,
        db.execute(select(Institution.name, Institution.operating_status, Institution.credit_code,
                          Institution.filing_status).where(Institution.id == b.institution.id))
        .one(),
    )


def test_every_id_route_of_scoped_roles_is_checked():
    paths = {path for _, path, _ in scoped_routes()}
    assert "/staff/complaints/{complaint_id:int}" in paths
    assert "/opendays/{open_day_id:int}/signups" in paths
    assert "/reviews/{review_id:int}/reply" in paths


def form_for(client, world: World) -> dict[str, str]:
    """A plausible form for every action, so only the ownership check can stop it."""
    return {"csrf_token": csrf_token(client), "answer": "经核查已整改完毕，特此答复。" * 2,
            "outcome": "substantiated",
            "reason": "不属于本部门职责范围", "days": "5", "reply": "感谢您的评价与监督",
            "department_id": str(world.a.office_id), "decision": "approve",
            "note": "请尽快办理", "rectification_status": "done", "status": "executed",
            "removed_on": "2026-05-01", "duplicate_id": str(world.a.institution.id),
            "effective_on": "2026-05-01", "decided_on": "2026-05-01"}


# One world and one login per role (not per route) keeps this fast; every failure is listed.
@sqlite_only
@pytest.mark.parametrize("role", SCOPED, ids=lambda r: r.value)
def test_other_sides_ids_answer_not_found_and_change_nothing(client, db, role):
    world = build_world(db)
    routes = [(m, p) for m, p, roles in scoped_routes() if role in roles]
    assert routes
    before = snapshot(db, world)
    login(client, actor(world, role).username, PASSWORD)
    secrets = (*COMPLAINANT_B, *SIGNUP_B, SECRET_TEXT_B, world.b.complaint.tracking_no)
    failures = []
    for method, path in routes:
        url, allowed = concrete(path, world)
        data = form_for(client, world) if method == "POST" else None
        response = client.request(method, url, data=data, follow_redirects=False)
        if response.status_code not in allowed:
            failures.append((method, path, response.status_code, response.text[:200]))
        leaked = [s for s in secrets if s in response.text]
        if leaked:
            failures.append((method, path, "leaked", leaked))
    assert not failures
    assert snapshot(db, world) == before


@sqlite_only
def test_own_side_still_works_so_the_404s_above_mean_something(client, db):
    world = build_world(db)
    login(client, world.a.staff.username, PASSWORD)
    page = client.get(f"/staff/complaints/{world.a.complaint.id}")
    assert page.status_code == 200 and world.a.complaint.tracking_no in page.text
    client.cookies.clear()
    login(client, world.a.institution_staff.username, PASSWORD)
    signups = client.get(f"/opendays/{world.a.open_day.id}/signups")
    assert signups.status_code == 200 and SIGNUP_A[1] in signups.text


@sqlite_only
def test_staff_lists_and_exports_of_office_a_hold_nothing_of_office_b(client, db):
    world = build_world(db)
    login(client, world.a.staff.username, PASSWORD)
    for path in ("/staff/queue", "/staff/queue?tab=signed", "/staff/queue.csv",
                 "/staff/queue/attention"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert world.b.complaint.tracking_no not in response.text, path
        assert SECRET_TEXT_B not in response.text, path
    assert world.a.complaint.tracking_no in client.get("/staff/queue").text
    client.cookies.clear()
    login(client, world.a.institution_staff.username, PASSWORD)
    manage = client.get("/opendays/manage")
    assert manage.status_code == 200 and world.b.open_day.title not in manage.text
