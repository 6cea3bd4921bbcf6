"""The parts of an institution page that change without its records — complaint figures, open
days, the credit check — read as JSON columns of one statement (portal/institutions/services/
page_live.py, portal/core/sqljson.py): the same values as read row by row, on both databases,
and a page from its document in one statement."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core.settings import get_settings
from portal.institutions.models import FulfilmentAssessment
from portal.institutions.services import pagedoc
from portal.institutions.services.credit_status import credit_status
from portal.institutions.services.page_live import load_live
from portal.opendays.models import OpenDay

from factories import department, institution
from factories.complaints import complaint_row
from factories.disclosures import credit_entry, inspection, penalty
from support import statements

NOW = datetime(2026, 12, 1, 3, 30, 15, 123456, tzinfo=UTC)
TODAY = date(2026, 12, 1)


def _open_day(db: Session, inst, title: str, starts: datetime, status: str, **extra) -> OpenDay:
    row = OpenDay(institution_id=inst.id, title=title, starts_at=starts,
                  ends_at=starts + timedelta(hours=2, minutes=30),
                  signup_deadline=starts - timedelta(days=1, seconds=7), place=f"{title}的地点",
                  capacity=20, seats_taken=extra.pop("seats_taken", 0), status=status)
    db.add(row)
    return row


def _everything(db: Session):
    """An institution with open days of every status and a credit record of every kind."""
    inst = institution(db, name="活数据颐养院")
    other = institution(db, name="别家")
    dept = department(db)
    _open_day(db, inst, "下周开放日", NOW + timedelta(days=6, hours=1), "scheduled", seats_taken=7)
    _open_day(db, inst, "明天开放日", NOW + timedelta(days=1), "closed", seats_taken=20)
    _open_day(db, inst, "上月开放日", NOW - timedelta(days=30), "held")
    _open_day(db, inst, "去年开放日", NOW - timedelta(days=400), "held")
    _open_day(db, inst, "取消的", NOW + timedelta(days=3), "cancelled")
    _open_day(db, other, "别家的", NOW + timedelta(days=2), "scheduled")
    inspection(db, inst, dept, findings="消防通道堆放杂物", rectification_status="pending",
               rectification_deadline=date(2026, 10, 1))
    penalty(db, inst, dept, decided_on=date(2026, 6, 1))
    penalty(db, inst, dept, decided_on=date(2024, 6, 1))  # out of the period
    credit_entry(db, inst, dept=dept, listed_on=date(2026, 2, 1))
    db.add(FulfilmentAssessment(institution_id=inst.id, assessed_on=date(2026, 9, 1),
                                result="breach", basis="未按承诺公开收费", department_id=dept.id))
    answered = complaint_row(db, dept, NOW - timedelta(days=40),
                             answered=NOW - timedelta(days=35, hours=5))
    answered.institution_id, answered.outcome = inst.id, "substantiated"
    on_time = complaint_row(db, dept, NOW - timedelta(days=20), answered=NOW - timedelta(days=19))
    on_time.institution_id, on_time.tracking_no = inst.id, "T-LIVE-1"
    answered.tracking_no = "T-LIVE-2"
    db.commit()
    return inst


def test_live_parts_are_what_the_rows_say(db: Session):
    inst = _everything(db)
    live = load_live(db, inst.id, NOW, TODAY)

    rows = db.scalars(select(OpenDay).where(OpenDay.institution_id == inst.id)).all()
    by_title = {r.title: r for r in rows}
    assert [e.title for e in live.open_days.upcoming] == ["明天开放日", "下周开放日"]
    assert [e.title for e in live.open_days.held] == ["上月开放日", "去年开放日"]
    for shown in live.open_days.upcoming + live.open_days.held:
        row = by_title[shown.title]
        assert (shown.id, shown.place, shown.status, shown.capacity, shown.seats_left) == (
            row.id, row.place, row.status, row.capacity, row.seats_left)
        # Aware UTC datetimes to the microsecond, whatever text the database made of them.
        assert (shown.starts_at, shown.ends_at, shown.signup_deadline) == (
            row.starts_at, row.ends_at, row.signup_deadline)
        assert shown.starts_at.tzinfo is UTC
    assert live.open_days.last_held_end == by_title["上月开放日"].ends_at

    settings = get_settings()
    by_rows = credit_status(db, inst.id, TODAY, settings.credit_lookback_days, settings.timezone)
    assert live.credit_status == by_rows
    # Every kind of record is in it: not equal by both being empty.
    assert live.credit_status.red_listed and live.credit_status.assessment is not None
    assert {b.code for b in live.credit_status.blockers} == {
        "rectification_overdue", "penalty", "complaint_substantiated", "breach"}

    assert (live.complaints.received, live.complaints.judged, live.complaints.on_time) == (2, 2, 2)


def test_an_institution_with_nothing_reads_empty_parts(db: Session):
    inst = institution(db, name="空白颐养院")
    db.commit()
    live = load_live(db, inst.id, NOW, TODAY)
    assert (live.open_days.upcoming, live.open_days.held, live.open_days.last_held_end) == (
        [], [], None)
    assert (live.credit_status.blockers, live.credit_status.assessment) == ([], None)
    assert live.complaints.received == 0


def test_a_page_from_its_document_is_one_statement(db: Session):
    inst = _everything(db)
    assert pagedoc.refresh(db, inst.id)
    db.commit()
    inst_id = inst.id
    db.expire_all()
    with statements(db) as seen:
        page = pagedoc.shown_page(db, inst_id, TODAY, now=NOW)
    assert isinstance(page, pagedoc.DocPage)
    assert len(seen) == 1, seen
    assert [e.title for e in page.open_days.upcoming] == ["明天开放日", "下周开放日"]
    assert page.credit_status.red_listed
