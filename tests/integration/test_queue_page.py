"""An office's queue page (complaints.services.queues.office_queue): one page of a tab and the tabs'
badges from one statement, the last page for a page past it, a filtered tab counting itself, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_queue_counts import city, file

from complaints.services import queues
from complaints.services.filing import build_services
from complaints.services.queues import QueueFilter, office_queue, tab_counts
from portal.core.db import utcnow
from portal.core.settings import get_settings

from support import statements


@pytest.fixture
def office(db, monkeypatch):
    """The district's civil-affairs office with five complaints waiting to be signed (three of
    elder abuse, co-handled by public security; two of service quality), and one signed;
    two complaints a page."""
    monkeypatch.setattr(queues, "PER_PAGE", 2)
    offices, inst, staff = city(db)
    filed = [file(db, inst) for _ in range(3)] + [file(db, inst, "service_quality")
                                                 for _ in range(3)]
    _, handling = build_services(db, get_settings())
    handling.sign(staff["ca"], filed[-1])
    db.commit()
    return offices["ca"]


def queue(db, office, page: int = 1, **flt):
    now = utcnow()
    return office_queue(db, office.id, QueueFilter(**flt), now, now + timedelta(days=1), page)


def test_a_page_and_the_badges_come_from_one_statement(db, office):
    db.commit()
    with statements(db) as seen:
        page, counts = queue(db, office)
    assert len(seen) == 1 and "queue_counts" in seen[0]
    assert counts == tab_counts(db, office.id) == {"assigned": 5, "signed": 1, "co": 0,
                                                   "answered": 0}
    assert (len(page.items), page.total, page.page, page.pages) == (2, 5, 1, 3)


def test_the_pages_of_a_tab_hold_each_complaint_once_and_past_the_last_shows_it(db, office):
    pages = [queue(db, office, n)[0] for n in (1, 2, 3)]
    ids = [c.id for p in pages for c in p.items]
    assert len(ids) == len(set(ids)) == 5
    assert [c.due_at for p in pages for c in p.items] == sorted(c.due_at for p in pages
                                                               for c in p.items)
    past, counts = queue(db, office, 9)
    assert (past.page, past.pages, [c.id for c in past.items]) == (3, 3, ids[4:])
    assert counts["assigned"] == 5


def test_an_empty_tab_still_has_every_badge(db, office):
    with statements(db) as seen:
        page, counts = queue(db, office, 4, tab="co")
    assert (page.items, page.total, page.page, page.pages) == ([], 0, 1, 1)
    assert counts == {"assigned": 5, "signed": 1, "co": 0, "answered": 0}
    assert len(seen) == 2  # the empty page, then the badges on their own


def test_a_filtered_tab_counts_itself_and_the_badges_stay_the_offices(db, office):
    page, counts = queue(db, office, category="service_quality")
    assert (len(page.items), page.total, page.pages) == (2, 2, 1)
    assert {c.rule_label for c in page.items} == {"服务质量、护理不到位、未按协议服务"}
    assert counts["assigned"] == 5
    late, _ = queue(db, office, 5, category="service_quality")
    assert (late.page, len(late.items)) == (1, 2)
