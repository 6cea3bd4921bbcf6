"""Complaint figures on a small hand-built data set whose answers are worked out by hand below."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaints.models import Complaint, ComplaintEvent
from complaints.rules import clock
from complaints.services.calendar_store import load_calendar
from portal.stats.services.complaints import (
    Breakdown,
    ComplaintCounts,
    Scope,
    combine,
    misrouted_by_month,
    monthly_breakdowns,
    queue_health,
    weighted_median,
)

from factories import department, district

TZ = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)


def local(y, m, d, hh=10, mm=0, ss=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


def make(db, office, received, *, status="assigned", answered=None, category="service_quality",
         district_id=None, satisfaction=None, reopened=0, due_at=None, provisional=None):
    calendar = load_calendar(db)
    deadline = clock.compute_deadline(received, 5, calendar, TZ)
    row = Complaint(
        channel="web", district_id=district_id, category_code=category, description="测试投诉",
        status=status, responsible_department_id=office.id, received_at=received,
        working_days=5, due_at=due_at or deadline.due_at, due_last_day=deadline.last_day,
        provisional=deadline.provisional if provisional is None else provisional,
        sign_due_at=deadline.due_at, answered_at=answered, satisfaction=satisfaction,
        reopened_count=reopened,
    )
    db.add(row)
    db.flush()
    return row


@pytest.fixture
def figures(db):
    """November 2026: eight complaints, one in October, one in December (see the asserts)."""
    d1 = district(db)
    a = department(db, "civil_affairs", d1)
    b = department(db, "market_regulation", d1)
    # Mon 11-09 → due 11-17 00:00 (24:00 of Mon 11-16). 23:59:59 on the day is on time ...
    make(db, a, local(2026, 11, 9), status="answered", answered=local(2026, 11, 16, 23, 59, 59),
         district_id=d1.id)
    # ... and 00:00:00 the next day is late.
    make(db, a, local(2026, 11, 9), status="closed", answered=local(2026, 11, 17, 0, 0, 0),
         district_id=d1.id)
    # Reopened once, answered again within the fresh clock: one complaint, answered once.
    reopened = make(db, a, local(2026, 11, 10), status="answered",
                    answered=local(2026, 11, 19), reopened=1, due_at=local(2026, 11, 20, 0),
                    district_id=d1.id)
    for at in (local(2026, 11, 12), local(2026, 11, 19)):
        db.add(ComplaintEvent(complaint_id=reopened.id, kind="answered", at=at, department_id=a.id))
    # Open past its deadline (due 11-10 00:00), and open within it.
    make(db, a, local(2026, 11, 2), status="signed", district_id=d1.id)
    make(db, a, local(2026, 11, 24), status="assigned", district_id=d1.id)
    # Reopened and being handled again: open, though its first answer is still on the row.
    make(db, a, local(2026, 11, 16), status="assigned", answered=local(2026, 11, 18),
         satisfaction="unsatisfied", reopened=1, due_at=local(2026, 12, 1, 0), district_id=d1.id)
    # Another office, category and no district: answered Thu 11-05, 2 working days.
    make(db, b, local(2026, 11, 3), status="closed", answered=local(2026, 11, 5),
         category="food_safety", satisfaction="satisfied")
    # Sunday 11-01 00:10 local (still 10-31 in UTC) belongs to November; answered Mon 11-02.
    make(db, a, local(2026, 11, 1, 0, 10), status="closed", answered=local(2026, 11, 2),
         satisfaction="basically_satisfied", district_id=d1.id)
    # Saturday 10-31 23:30 local belongs to October.
    make(db, a, local(2026, 10, 31, 23, 30), status="assigned", district_id=d1.id)
    # Mon 12-28 with a clock into 2027, whose holidays are unknown: provisional, Fri 2027-01-01
    # counted as a working day; answered one second before the stored due_at.
    deadline = clock.compute_deadline(local(2026, 12, 28), 5, load_calendar(db), TZ)
    assert deadline.provisional and deadline.last_day == date(2027, 1, 4)
    make(db, a, local(2026, 12, 28), status="answered",
         answered=deadline.due_at - timedelta(seconds=1), district_id=d1.id)
    db.commit()
    return monthly_breakdowns(db, date(2026, 10, 1), date(2027, 1, 1), tz=TZ,
                              calendar=load_calendar(db), as_of=AS_OF), a, b, d1


def test_november_totals_follow_the_definitions(figures):
    months, _a, _b, _d1 = figures
    nov = months["2026-11"].total
    assert (nov.received, nov.answered, nov.on_time, nov.late) == (8, 5, 4, 1)
    assert (nov.open, nov.open_overdue, nov.overdue) == (3, 1, 2)
    assert nov.on_time_rate == pytest.approx(4 / 6)
    assert (nov.rated, nov.satisfied) == (3, 2)
    assert nov.satisfaction_rate == pytest.approx(2 / 3)
    assert nov.reopened == 2


def test_answer_time_is_counted_in_working_days_and_its_median_taken(figures):
    months, *_ = figures
    # 11-09→11-16: 5; 11-09→11-17: 6; 11-10→11-19: 7; 11-03→11-05: 2; 11-01→11-02: 1.
    assert months["2026-11"].total.answer_days == Counter({5: 1, 6: 1, 7: 1, 2: 1, 1: 1})
    assert months["2026-11"].total.median_answer_days == 5


def test_local_month_boundary_and_provisional_deadline(figures):
    months, *_ = figures
    assert months["2026-10"].total.received == 1
    dec = months["2026-12"].total
    assert (dec.answered, dec.on_time, dec.provisional) == (1, 1, 1)
    # 12-29, 12-30, 12-31, 2027-01-01 (weekend-only guess), 01-04.
    assert dec.median_answer_days == 5


def test_breakdowns_by_office_category_type_and_district(figures):
    months, a, b, d1 = figures
    nov = months["2026-11"]
    assert nov.by["office"][str(a.id)].received == 7
    assert nov.by["office"][str(b.id)].received == 1
    assert nov.by["department_type"]["market_regulation"].satisfied == 1
    assert nov.by["category"]["food_safety"].received == 1
    assert nov.by["district"][str(d1.id)].received == 7
    assert nov.by["district"]["-"].received == 1
    assert sum(c.received for c in nov.by["category"].values()) == nov.total.received


def test_scope_limits_to_one_office(db, figures):
    _months, _a, b, _d1 = figures
    only_b = monthly_breakdowns(db, date(2026, 11, 1), date(2026, 12, 1), tz=TZ,
                                calendar=load_calendar(db), as_of=AS_OF,
                                scope=Scope(office_id=b.id))
    assert only_b["2026-11"].total.received == 1


def test_figures_survive_a_json_round_trip_and_add_up(figures):
    months, *_ = figures
    again = {k: Breakdown.from_json(v.to_json()) for k, v in months.items()}
    assert again["2026-11"].to_json() == months["2026-11"].to_json()
    total = combine(list(again.values()))
    assert total.total.received == 10
    assert total.total.answer_days[5] == 2


def test_queue_health_counts_open_due_soon_and_overdue(db, figures):
    _months, a, *_ = figures
    soon = AS_OF + timedelta(days=7)
    health = queue_health(db, AS_OF, soon)[a.id]
    # Open: 11-02 (overdue), 11-24 (due 12-02: soon), reopened (due 12-01: soon), 10-31 (overdue).
    assert (health.open, health.overdue, health.due_soon, health.unsigned) == (4, 2, 2, 3)


def test_misrouted_rate_comes_from_dispatch_and_return_events(db):
    a = department(db, "civil_affairs")
    b = department(db, "public_security")
    c = Complaint(channel="web", category_code="service_quality", description="x",
                  responsible_department_id=b.id, received_at=local(2026, 11, 2), working_days=5,
                  due_at=local(2026, 11, 9, 0), due_last_day=date(2026, 11, 8),
                  sign_due_at=local(2026, 11, 3, 0), status="assigned")
    db.add(c)
    db.flush()
    for kind, office, day in (("assigned", a, 2), ("returned", a, 3), ("transferred", b, 4),
                              ("assigned", a, 20), ("assigned", a, 1)):
        when = local(2026, 11 if day != 1 else 10, day)
        db.add(ComplaintEvent(complaint_id=c.id, kind=kind, department_id=office.id, at=when))
    db.commit()
    found = misrouted_by_month(db, date(2026, 10, 1), date(2026, 12, 1), TZ)
    assert found["2026-11"][a.id] == (2, 1)
    assert found["2026-11"][b.id] == (1, 0)
    assert found["2026-10"] == {a.id: (1, 0)}


@pytest.mark.parametrize("histogram,expected", [
    ({}, None), ({3: 1}, 3.0), ({1: 1, 3: 1}, 2.0), ({1: 2, 9: 1}, 1.0), ({0: 5, 4: 5}, 2.0),
])
def test_weighted_median(histogram, expected):
    assert weighted_median(histogram) == expected


def test_counts_rates_are_none_without_data():
    empty = ComplaintCounts()
    assert (empty.on_time_rate, empty.satisfaction_rate, empty.median_answer_days) == (
        None, None, None)


def test_outcomes_are_counted_per_office_and_old_answers_are_unknown(db):
    d1 = district(db)
    a, b = department(db, "civil_affairs", d1), department(db, "market_regulation", d1)
    for office, outcome in ((a, "substantiated"), (a, "partly"), (a, "unfounded"), (a, None),
                            (b, "unverifiable"), (b, "substantiated")):
        row = make(db, office, local(2026, 11, 9), status="answered", answered=local(2026, 11, 10))
        row.outcome = outcome
    make(db, a, local(2026, 11, 12))  # open: no outcome yet, not "unknown"
    db.commit()
    months = monthly_breakdowns(db, date(2026, 11, 1), date(2026, 12, 1), tz=TZ,
                                calendar=load_calendar(db), as_of=AS_OF)
    by_office = months["2026-11"].by["office"]
    got = {o: (c.substantiated, c.partly, c.unfounded, c.unverifiable, c.outcome_unknown)
           for o, c in by_office.items()}
    assert got == {str(a.id): (1, 1, 1, 0, 1), str(b.id): (1, 0, 0, 1, 0)}
    # Snapshots stored before outcomes existed read as no outcomes recorded.
    old = ComplaintCounts.from_json({"received": 2, "answered": 2})
    assert (old.substantiated, old.outcome_unknown) == (0, 2)
