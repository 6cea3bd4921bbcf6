"""Steps that happen once, raced for real: threads with sessions of their own on one database
(SQLite and PostgreSQL), each having read the same state before any of them writes — as
parallel requests do. Approving one draft, answering one complaint, posting one feedback: one
version, one answer with one SMS, one reopening; the others get a domain exception (shown as a
friendly message or a 303 to the result, never a 500). Part of the security suite's race set
(with tests/security/test_race_set.py): each race prints its counts."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from complaints.exceptions import StatusChanged
from complaints.models import Complaint, ComplaintEvent
from complaints.services.filing import build_services
from complaints.services.tokens import tracking_tokens
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.backoffice.models import DisclosureDraft, DisclosureVersion
from portal.backoffice.services import workflow
from portal.core.audit import AuditEvent
from portal.core.db import session_scope, utcnow
from portal.core.notify import Notification
from portal.core.settings import get_settings
from portal.institutions.models import FeeItem

from consistency import complaint_input, queue_count_problems, seed_city
from factories import PASSWORD, user
from support import at_once, login
from support import post_form as post

RACERS = 4


def race(url: str, load, act) -> list:
    """In RACERS threads: `load(session)` reads what the step needs (every thread before any
    acts), then `act(session, loaded)` and commit. Each result, or the exception raised.

    On SQLite a writing transaction holds the database from its BEGIN (`BEGIN IMMEDIATE`,
    portal/core/db.py), so two cannot both have read before either writes: there each racer reads
    in a read-only transaction of its own, ended (nothing expires) before it acts — the state
    a request acts on when another committed after it was read."""
    sqlite = url.startswith("sqlite")

    def body(go):
        with session_scope(url, reading=sqlite) as s:
            loaded = load(s)
            go()
            if sqlite:
                s.commit()  # the read-only transaction ends; the next one writes
            return act(s, loaded)

    return at_once(RACERS, body)


def report(capsys, what: str, results: list, **counts: int) -> None:
    """One line of the race set's output: what raced, how the racers ended, what was written."""
    ends = sorted(r if isinstance(r, str) else type(r).__name__ for r in results)
    written = ", ".join(f"{name} {n}" for name, n in counts.items())
    with capsys.disabled():
        print(f"\n[race set] {what} by {RACERS} racers at once: {ends}; {written}")


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def today():
    return datetime.now(get_settings().timezone).date()


# --- approving a disclosure draft -------------------------------------------------------------


@pytest.fixture
def submitted_fee_change(db):
    """An institution's fee change (1800 → 2000), submitted; a reviewer."""
    inst_user = user(db, Role.INSTITUTION)
    reviewer = user(db, Role.SUPERVISOR)
    fee = db.scalars(select(FeeItem).where(FeeItem.institution_id == inst_user.institution_id)
                     ).one()
    form = {"rows": "1", "id-0": str(fee.id), "item-0": fee.item, "unit-0": fee.unit,
            "price-0": "2000", "pricing_type-0": fee.pricing_type, "cycle-0": fee.cycle,
            "care_level-0": fee.care_level or ""}
    draft = workflow.save_draft(db, inst_user, "fees", form, today())
    workflow.submit(db, inst_user, draft.id, utcnow())
    db.commit()
    return inst_user, reviewer, draft.id


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_racing_reviewers_decide_a_draft_once(env, db, submitted_fee_change, decision, capsys):
    inst_user, reviewer, draft_id = submitted_fee_change

    def load(s):
        return s.get(User, reviewer.id), s.get(DisclosureDraft, draft_id)

    def act(s, loaded):
        actor, _ = loaded
        if decision == "approve":
            return workflow.approve(s, actor, draft_id, today(), utcnow()).id
        return workflow.reject(s, actor, draft_id, "收费依据不全，请补充", utcnow()).id

    results = race(env, load, act)
    refused = [r for r in results if isinstance(r, BaseException)]
    inst_id = inst_user.institution_id
    db.expire_all()
    action = "disclosure.published" if decision == "approve" else "disclosure.rejected"
    report(capsys, f"{decision} of one draft", ["done" if isinstance(r, int) else r for r in results],
           audit_rows=count(db, AuditEvent, AuditEvent.action == action),
           versions=count(db, DisclosureVersion, DisclosureVersion.institution_id == inst_id))
    assert len(refused) == RACERS - 1, results
    assert all(isinstance(r, workflow.AlreadyDecided) for r in refused), refused
    assert count(db, AuditEvent, AuditEvent.action == action) == 1
    published = 1 if decision == "approve" else 0
    assert count(db, DisclosureVersion, DisclosureVersion.institution_id == inst_id) == published
    current = db.scalars(select(FeeItem.price).where(
        FeeItem.institution_id == inst_id, FeeItem.effective_to.is_(None))).all()
    assert [str(p) for p in current] == (["2000.00"] if decision == "approve" else ["1800.00"])


def test_the_same_approval_posted_twice_redirects_to_the_result(client, db, submitted_fee_change):
    _, reviewer, draft_id = submitted_fee_change
    login(client, reviewer.username, PASSWORD)
    first = post(client, f"/admin/disclosures/{draft_id}/approve")
    again = post(client, f"/admin/disclosures/{draft_id}/approve")
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    # A different decision on a decided draft is refused with a message, not a 500.
    other = post(client, f"/admin/disclosures/{draft_id}/reject", reason="重复操作")
    assert other.status_code == 400 and "不在待审核状态" in other.text
    assert count(db, DisclosureVersion) == 1


# --- answering and feedback -------------------------------------------------------------------


def filed_complaint(url: str, n: int = 1) -> tuple[int, int]:
    """A complaint with a phone, filed and routed; a handler of its office. Returns ids."""
    inst_id = seed_city(url)
    with session_scope(url) as s:
        intake, _ = build_services(s, get_settings())
        complaint, _ = intake.submit(complaint_input(inst_id, n))
        handler = user(s, Role.DEPARTMENT, department_id=complaint.responsible_department_id)
        return complaint.id, handler.id


def answer(url: str, complaint_id: int, handler_id: int) -> None:
    with session_scope(url) as s:
        _, handling = build_services(s, get_settings())
        handling.answer(s.get(User, handler_id), s.get(Complaint, complaint_id),
                        "已现场核查，夜班已增派护理员值守。", "substantiated")


def events(db, complaint_id: int, kind: str) -> int:
    return count(db, ComplaintEvent, ComplaintEvent.complaint_id == complaint_id,
                 ComplaintEvent.kind == kind)


def test_racing_answers_answer_once_and_send_one_sms(env, db, capsys):
    complaint_id, handler_id = filed_complaint(env)

    def load(s):
        return s.get(User, handler_id), s.get(Complaint, complaint_id)

    def act(s, loaded):
        _, handling = build_services(s, get_settings())
        handling.answer(*loaded, "已现场核查，夜班已增派护理员值守。", "substantiated")
        return "answered"

    results = race(env, load, act)
    db.expire_all()
    report(capsys, "answer of one complaint", results,
           answer_events=events(db, complaint_id, "answered"),
           sms=count(db, Notification, Notification.subject == "投诉已答复"))
    assert results.count("answered") == 1, results
    assert all(isinstance(r, StatusChanged) for r in results if r != "answered"), results
    assert events(db, complaint_id, "answered") == 1
    assert events(db, complaint_id, "signed") == 1
    assert count(db, Notification, Notification.subject == "投诉已答复") == 1
    assert db.get(Complaint, complaint_id).status == "answered"
    assert queue_count_problems(db) == []  # the queues' trigger-kept counts still add up


@pytest.mark.parametrize("level,kind", [("unsatisfied", "reopened"), ("satisfied", "confirmed")])
def test_racing_feedback_counts_once(env, db, level, kind, capsys):
    complaint_id, handler_id = filed_complaint(env)
    answer(env, complaint_id, handler_id)

    def load(s):
        return s.get(Complaint, complaint_id)

    def act(s, complaint):
        _, handling = build_services(s, get_settings())
        handling.complainant_feedback(complaint, level, "护理员还是不够")
        return "counted"

    results = race(env, load, act)
    db.expire_all()
    report(capsys, f"{level} feedback on one complaint", results,
           **{f"{kind}_events": events(db, complaint_id, kind)})
    assert results.count("counted") == 1, results
    assert all(isinstance(r, StatusChanged) for r in results if r != "counted"), results
    assert events(db, complaint_id, kind) == 1
    row = db.get(Complaint, complaint_id)
    assert row.reopened_count == (1 if level == "unsatisfied" else 0)
    assert queue_count_problems(db) == []  # the queues' trigger-kept counts still add up


def test_feedback_that_lost_the_race_gets_the_tracking_page(client, env, db, monkeypatch):
    """The second of two simultaneous feedback posts reads 'answered' and then finds the
    complaint moved: it is sent to the result (303), not shown an error."""
    if env.startswith("sqlite"):
        pytest.skip("SQLite orders writing requests whole (BEGIN IMMEDIATE, portal/core/db.py): none "
                    "commits between another's read and its write")
    complaint_id, handler_id = filed_complaint(env)
    answer(env, complaint_id, handler_id)
    token = tracking_tokens(get_settings()).dumps(str(complaint_id))
    from complaints.services import handling as handling_module

    real = handling_module.HandlingService._move

    def first_the_other_post(self, complaint, allowed, to):
        monkeypatch.setattr(handling_module.HandlingService, "_move", real)
        with session_scope(env) as s:  # the other post, committed in between
            _, other = build_services(s, get_settings())
            other.complainant_feedback(s.get(Complaint, complaint_id), "unsatisfied")
        return real(self, complaint, allowed, to)

    monkeypatch.setattr(handling_module.HandlingService, "_move", first_the_other_post)
    response = post(client, f"/complaints/t/{token}/feedback", satisfied="unsatisfied")
    assert response.status_code == 303
    assert f"/complaints/t/{token}" in response.headers["location"]
    db.expire_all()
    assert events(db, complaint_id, "reopened") == 1
