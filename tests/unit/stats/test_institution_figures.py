"""Institution figures on a hand-built set: grades, GB 38600, coverage, monthly activity."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.stats.services.institutions import activity_by_month, institution_figures

from factories import district, institution
from factories.disclosures import grade, inspection, penalty

TODAY = date(2026, 11, 25)


@pytest.fixture
def homes(db):
    d = district(db)
    graded = institution(db, d, nature="public")
    # Older award is superseded by the newer one (level 4, compliant).
    grade(db, graded, level=2, awarded_on=date(2020, 1, 1), gb38600_compliant=False)
    grade(db, graded, level=4, awarded_on=date(2024, 1, 1))
    expired = institution(db, d, filing_status="registered_unfiled")
    grade(db, expired, level=3, awarded_on=date(2021, 1, 1), valid_until=date(2026, 11, 24))
    failing = institution(db, d)
    grade(db, failing, level=1, awarded_on=date(2025, 5, 1), gb38600_compliant=False,
          valid_until=date(2026, 11, 25))  # valid through today
    institution(db, d)  # residential, never graded
    institution(db, d, kind="community")
    black = institution(db, d, filing_status="unregistered", nature="private_forprofit")
    grade(db, black, level=5, awarded_on=date(2025, 1, 1))  # not a subject: unregistered
    penalty(db, graded, decided_on=date(2026, 10, 31), amount=Decimal("5000"))
    penalty(db, failing, decided_on=date(2026, 11, 1), amount=Decimal("2000.50"))
    penalty(db, failing, decided_on=date(2026, 11, 30), amount=Decimal("1000"))
    inspection(db, graded, inspected_on=date(2026, 11, 10))
    inspection(db, failing, inspected_on=date(2026, 12, 1))
    db.commit()
    return d


def test_counts_by_kind_nature_filing_and_current_grade(db, homes):
    f = institution_figures(db, TODAY)
    assert f.total == 6
    assert f.by_kind == {"residential": 5, "community": 1}
    assert f.by_nature == {"public": 1, "private_nonprofit": 4, "private_forprofit": 1}
    assert f.by_filing == {"filed": 4, "registered_unfiled": 1, "unregistered": 1}
    # Latest award counts; the expired one and the never graded ones are "none".
    assert f.by_grade == {"4": 1, "1": 1, "5": 1, "none": 3}


def test_gb38600_rate_and_grading_coverage_of_registered_residential_homes(db, homes):
    f = institution_figures(db, TODAY)
    # Subjects: graded (compliant), expired (compliant finding), failing, never graded.
    assert (f.gb38600.part, f.gb38600.whole, f.gb38600_assessed) == (2, 4, 3)
    assert f.gb38600.rate == 0.5
    assert (f.grading.part, f.grading.whole) == (2, 4)
    assert institution_figures(db, TODAY, district_id=homes.id + 999).total == 0


def test_penalties_and_inspections_by_month(db, homes):
    months = activity_by_month(db, date(2026, 10, 1), date(2026, 12, 1))
    assert months["2026-10"].penalties == 1
    assert months["2026-11"].penalties == 2
    assert months["2026-11"].penalty_amount == Decimal("3000.50")
    assert months["2026-11"].inspections == 1
    assert "2026-12" not in months
    again = months["2026-11"].from_json(months["2026-11"].to_json())
    assert again == months["2026-11"]
