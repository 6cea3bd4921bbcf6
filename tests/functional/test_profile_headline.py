"""The institution page's headline box (issue 21 items 2 and 3), over HTTP: at the top of the
page, the same from the stored document as from the rows, and most serious first."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from portal.core.settings import get_settings
from portal.institutions.models import InstitutionPageDoc
from portal.institutions.services import pagedoc
from portal.institutions.services.page import InstitutionPage

from factories import department, institution
from factories.disclosures import credit_entry, grade, inspection, penalty


def headline_of(html: str) -> str:
    match = re.search(r'<section class="headline".*?</section>', html, re.S)
    assert match, "no headline box"
    return match.group(0)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def troubled(db: Session):
    """Item 3's home: red-listed and 五级, a rectification 666 days overdue, a recent penalty."""
    today = datetime.now(get_settings().timezone).date()
    inst = institution(db, name="矛盾颐养院", beds_total=80, beds_vacant=7)
    dept = department(db)
    grade(db, inst, level=5, awarded_on=today - timedelta(days=800),
          valid_until=today + timedelta(days=400))
    deadline = today - timedelta(days=666)
    inspection(db, inst, dept, inspected_on=deadline - timedelta(days=30), findings="消防通道堵塞",
               rectification_status="pending", rectification_deadline=deadline)
    penalty(db, inst, dept, decided_on=today - timedelta(days=40), decision_no="示民罚〔2026〕66号")
    credit_entry(db, inst, dept=dept, listed_on=today - timedelta(days=900))
    db.flush()
    assert pagedoc.refresh(db, inst.id)
    db.commit()
    return inst


def test_headline_is_at_the_top_and_puts_the_negative_facts_before_the_grade(client, troubled):
    html = client.get(f"/institutions/{troubled.id}").text
    box = headline_of(html)
    # Above every section of the page it sums up.
    assert html.index(box) < html.index('id="h-flags"') < html.index('id="h-grade"')
    text = text_of(box)
    assert text.index("整改逾期 666 天") < text.index("五级养老机构")
    assert text.index("在红名单上") < text.index("五级养老机构")
    assert text.index("近 365 天内受到行政处罚") < text.index("五级养老机构")
    for label, anchor in (("等级", "h-grade"), ("行政处罚", "h-pen"), ("最近检查", "h-insp"),
                          ("每月费用", "h-fees"), ("空余床位", "h-basic"),
                          ("投诉", "h-complaints"), ("状态", "h-basic")):
        assert f'<a href="#{anchor}">{label}</a>' in box
        assert f'id="{anchor}"' in html  # the jump lands on the section
    assert "示民罚〔2026〕66号" in text
    assert "7 张（共 80 张）" in text
    assert "逾期未整改" in text


def test_headline_from_the_document_is_the_headline_from_the_rows(client, db, troubled):
    db.expire_all()
    assert isinstance(pagedoc.shown_page(db, troubled.id, datetime.now().date()), pagedoc.DocPage)
    from_doc = headline_of(client.get(f"/institutions/{troubled.id}").text)
    printed_from_doc = headline_of(client.get(f"/institutions/{troubled.id}/print").text)
    db.execute(delete(InstitutionPageDoc))
    db.commit()
    db.expire_all()
    assert isinstance(pagedoc.shown_page(db, troubled.id, datetime.now().date()),
                      InstitutionPage)
    from_rows = headline_of(client.get(f"/institutions/{troubled.id}").text)
    assert from_doc == from_rows == printed_from_doc
    # The document's facts carry what the headline reads (beds, the inspection's outcome).
    assert "7 张（共 80 张）" in from_doc and "发现问题，责令限期整改" in from_doc


def test_directory_filter_button_counts_the_chosen_filters(client, db):
    institution(db, name="计数颐养院")
    db.commit()
    plain = client.get("/institutions/").text
    assert '<details class="filter-fold"' in plain and "（已选 0 项）" in plain
    chosen = client.get("/institutions/?kind=residential&vacant=1&sort=price").text
    assert "（已选 2 项）" in chosen
    # An htmx result sends the count again, out of band, for the button it does not replace.
    partial = client.get("/institutions/?kind=residential", headers={"HX-Request": "true"}).text
    assert 'id="filter-count" hx-swap-oob="true"' in partial and "（已选 1 项）" in partial
