"""Snapshots keep a closed month's figures stable when records change later."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from complaints.models import Complaint
from complaints.services.calendar_store import load_calendar
from portal.core.db import utcnow
from portal.stats.models import StatsSnapshot
from portal.stats.rules.periods import Period, previous_month
from portal.stats.services.snapshots import period_figures, store_month
from portal.stats.tasks import snapshot_previous_month

from factories import department, district, institution
from factories.disclosures import penalty

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)
PERIOD = Period(date(2026, 10, 1), date(2026, 12, 1), "test")


def complaint(db, office, received, status="assigned", answered=None):
    row = Complaint(channel="web", category_code="service_quality", description="测试",
                    status=status, responsible_department_id=office.id, received_at=received,
                    working_days=5, due_at=datetime(2026, 10, 20, tzinfo=TZ),
                    due_last_day=date(2026, 10, 19), sign_due_at=received, answered_at=answered)
    db.add(row)
    db.flush()
    return row


def figures(db):
    return period_figures(db, PERIOD, tz=TZ, calendar=load_calendar(db), now=NOW)


def test_closed_month_keeps_its_snapshot_figures_after_records_change(db):
    office = department(db, "civil_affairs", district(db))
    late = complaint(db, office, datetime(2026, 10, 12, 9, tzinfo=TZ))
    complaint(db, office, datetime(2026, 11, 3, 9, tzinfo=TZ))
    penalty(db, institution(db), decided_on=date(2026, 10, 5))
    db.commit()
    assert store_month(db, "2026-10", tz=TZ, calendar=load_calendar(db), now=NOW) is True
    db.commit()
    before = figures(db)
    assert before.from_snapshot == {"2026-10"}
    assert before.months["2026-10"].complaints.total.open_overdue == 1

    # Later: the October complaint is answered, another is back-dated into October and
    # November gets a new one. October stays as published; November is live.
    late.status, late.answered_at = "answered", datetime(2026, 11, 20, tzinfo=TZ)
    complaint(db, office, datetime(2026, 10, 15, 9, tzinfo=TZ))
    complaint(db, office, datetime(2026, 11, 4, 9, tzinfo=TZ))
    penalty(db, institution(db), decided_on=date(2026, 10, 6))
    db.commit()
    after = figures(db)
    october = after.months["2026-10"]
    assert october.complaints.to_json() == before.months["2026-10"].complaints.to_json()
    assert (october.complaints.total.received, october.complaints.total.answered) == (1, 0)
    assert october.activity.penalties == 1
    assert after.months["2026-11"].complaints.total.received == 2
    # Storing again never rewrites the published month.
    assert store_month(db, "2026-10", tz=TZ, calendar=load_calendar(db), now=NOW) is False


def test_an_open_month_is_not_snapshotted(db):
    assert store_month(db, "2026-11", tz=TZ, calendar=load_calendar(db), now=NOW) is False
    assert db.scalar(select(func.count()).select_from(StatsSnapshot)) == 0


def test_nightly_task_stores_the_previous_month_once(db):
    assert snapshot_previous_month() is True
    assert snapshot_previous_month() is False
    key = previous_month(utcnow().astimezone(TZ).date())
    assert db.scalars(select(StatsSnapshot.period)).all() == [key]
