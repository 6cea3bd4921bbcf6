"""The institution page from its stored document: the same page as from the rows, and never
stale — every change the page shows, whatever writes it, makes the document unusable until it
is rebuilt (portal/institutions/services/pagedoc.py, migration 0009)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from complaints.models import Complaint
from portal.backoffice.models import CreditCommitment, DisclosureVersion, InstitutionRule
from portal.core.jobs import OutboxJob, task_path
from portal.institutions.models import Institution, InstitutionPageDoc
from portal.institutions.services import pagedoc
from portal.institutions.services.page import InstitutionPage
from portal.institutions.tasks import refresh_page, refresh_stale_pages

from factories import department, institution
from factories.complaints import complaint_row
from factories.disclosures import credit_entry, fee, grade, inspection, penalty, resources

TODAY = date(2026, 12, 1)


def main_of(html: str) -> str:
    match = re.search(r"<main.*?</main>", html, re.S)
    assert match, html[:300]
    return match.group(0)


@pytest.fixture
def rich(db: Session):
    """An institution with a record of every kind the page shows, and its document built."""
    inst = institution(db, name="文档颐养院", phone="0571-88880001", deposit_amount=Decimal("3000"),
                       street_id=None)
    dept = department(db)
    fee(db, inst, item="护理费", price="1200.00")
    resources(db, inst)
    grade(db, inst, level=3, awarded_on=date(2024, 5, 1), valid_until=date(2027, 5, 1))
    inspection(db, inst, dept, findings="消防通道堆放杂物")
    penalty(db, inst, dept)
    credit_entry(db, inst, dept=dept, reason="按时整改")
    db.add(InstitutionRule(institution_id=inst.id, title="入住管理制度", body="入住须体检",
                           effective_on=date(2025, 1, 1)))
    db.add(CreditCommitment(institution_id=inst.id, signed_on=date(2025, 2, 1),
                            text="诚信经营承诺", fulfilment="良好"))
    db.add(DisclosureVersion(institution_id=inst.id, section="basic", approved_by_label="民政局",
                             published_at=datetime(2025, 3, 1, tzinfo=UTC),
                             changes=[{"field": "phone", "label": "联系电话", "old": "1",
                                       "new": "2"}]))
    db.flush()
    assert pagedoc.refresh(db, inst.id)
    db.commit()
    return inst, dept


def shown(db: Session, inst_id: int):
    db.expire_all()
    return pagedoc.shown_page(db, inst_id, TODAY)


def test_document_page_is_the_page_from_the_rows(client, db, rich):
    inst, _ = rich
    assert isinstance(shown(db, inst.id), pagedoc.DocPage)
    from_doc = client.get(f"/institutions/{inst.id}")
    printed_from_doc = client.get(f"/institutions/{inst.id}/print")
    db.execute(delete(InstitutionPageDoc))
    db.commit()
    assert isinstance(shown(db, inst.id), InstitutionPage)
    from_rows = client.get(f"/institutions/{inst.id}")
    printed_from_rows = client.get(f"/institutions/{inst.id}/print")
    assert from_doc.status_code == from_rows.status_code == 200
    assert main_of(from_doc.text) == main_of(from_rows.text)
    assert main_of(printed_from_doc.text) == main_of(printed_from_rows.text)
    for words in ("文档颐养院", "消防通道堆放杂物", "入住管理制度", "诚信经营承诺", "1,200.00",
                  "等级评定", "联系电话"):
        assert words in from_doc.text


def test_the_demo_city_reads_the_same_from_documents(client, db):
    from demo.seed import seed_demo
    from portal.core.settings import get_settings

    url = get_settings().database_url
    seed_demo(url, institutions=12, seed=5, today=TODAY)
    ids = list(db.scalars(select(Institution.id).order_by(Institution.id)))
    # seed-demo builds every document
    assert db.scalar(select(func.count()).select_from(InstitutionPageDoc)) == len(ids)
    from_doc = {i: main_of(client.get(f"/institutions/{i}").text) for i in ids}
    assert all(isinstance(shown(db, i), pagedoc.DocPage) for i in ids)
    db.execute(delete(InstitutionPageDoc))
    db.commit()
    for i in ids:
        assert from_doc[i] == main_of(client.get(f"/institutions/{i}").text), i


def _sql(statement: str) -> Callable[[Session, Institution, object], None]:
    def change(db, inst, dept):
        db.execute(text(statement), {"i": inst.id, "d": dept.id, "district": inst.district_id})
    return change


def _orm_rename(db, inst, dept):
    db.get(Institution, inst.id).name = "改名颐养院"


def _new_fee(db, inst, dept):
    fee(db, inst, item="理疗费", price="88.00")


CHANGES = {
    # (change, words the page shows afterwards or None)
    "institution renamed (ORM)": (_orm_rename, "改名颐养院"),
    "institution phone (SQL)": (_sql("UPDATE institutions SET phone = '0571-99990000' "
                                     "WHERE id = :i"), "0571-99990000"),
    "fee added": (_new_fee, "理疗费"),
    "fee price (SQL)": (_sql("UPDATE fee_items SET price = 2345 WHERE institution_id = :i "
                             "AND item = '护理费'"), "2,345.00"),
    "resources (SQL)": (_sql("UPDATE service_resources SET caregivers = 77 "
                             "WHERE institution_id = :i"), "护理员 77 人"),
    "grade deleted": (_sql("DELETE FROM grades WHERE institution_id = :i"), "暂无等级评定记录"),
    "inspection deleted": (_sql("DELETE FROM inspections WHERE institution_id = :i"),
                           "暂无检查记录"),
    "penalty added": (lambda db, inst, dept: penalty(db, inst, dept, decision_no="新罚字第9号"),
                      "新罚字第9号"),
    "credit entry (SQL)": (_sql("UPDATE credit_entries SET reason = '已修复信用' "
                                "WHERE institution_id = :i"), "已修复信用"),
    "rule added": (lambda db, inst, dept: db.add(InstitutionRule(
        institution_id=inst.id, title="膳食管理制度", effective_on=date(2026, 1, 1))),
        "膳食管理制度"),
    "commitment (SQL)": (_sql("UPDATE credit_commitments SET text = '新承诺全文' "
                              "WHERE institution_id = :i"), "新承诺全文"),
    "change history (SQL)": (_sql("DELETE FROM disclosure_versions WHERE institution_id = :i"),
                             "暂无经审核公开的修改记录"),
    "department renamed": (_sql("UPDATE departments SET name = '改名监管局' WHERE id = :d"),
                           "改名监管局"),
    "district renamed": (_sql("UPDATE districts SET name = '改名区' WHERE id = :district"),
                         "改名区"),
    "street renamed": (_sql("UPDATE streets SET name = '改名街道' WHERE id = "
                            "(SELECT street_id FROM institutions WHERE id = :i)"), None),
}


@pytest.mark.parametrize("case", list(CHANGES))
def test_every_change_the_page_shows_makes_the_document_stale(client, db, rich, case):
    inst, dept = rich
    change, words = CHANGES[case]
    if case == "street renamed":
        street_id = db.scalar(text("SELECT id FROM streets WHERE district_id = :d LIMIT 1"),
                              {"d": inst.district_id})
        db.execute(text("UPDATE institutions SET street_id = :s WHERE id = :i"),
                   {"s": street_id, "i": inst.id})
        assert pagedoc.refresh(db, inst.id)
        db.commit()
        words = "改名街道"
    assert isinstance(shown(db, inst.id), pagedoc.DocPage)
    change(db, inst, dept)
    db.commit()
    assert isinstance(shown(db, inst.id), InstitutionPage), "a stale document was used"
    page = client.get(f"/institutions/{inst.id}")
    assert words in page.text
    # Rebuilt, the document shows the change too.
    refresh_page(inst.id)
    assert isinstance(shown(db, inst.id), pagedoc.DocPage)
    assert words in client.get(f"/institutions/{inst.id}").text


def test_what_the_page_does_not_show_leaves_the_document_current(db, rich):
    inst, dept = rich
    other = institution(db)
    version = db.scalar(select(Institution.records_version).where(Institution.id == inst.id))
    complaint = complaint_row(db, dept, datetime.now(UTC) - timedelta(days=1))
    complaint.institution_id, complaint.tracking_no = inst.id, "TS-PAGE-1"
    fee(db, other, item="别家的费用")
    db.execute(text("UPDATE departments SET name = '无关部门' WHERE id = :d"),
               {"d": department(db).id})
    db.commit()
    assert db.scalar(select(func.count()).select_from(Complaint)) == 1
    db.expire_all()
    assert db.scalar(select(Institution.records_version).where(
        Institution.id == inst.id)) == version
    page = shown(db, inst.id)
    assert isinstance(page, pagedoc.DocPage)
    assert page.complaints.received == 1  # complaint figures are counted per view


def test_a_new_build_key_makes_every_document_stale(db, rich, monkeypatch):
    inst, _ = rich
    monkeypatch.setattr(pagedoc, "DOC_FORMAT", "test-next")
    pagedoc._build_key.cache_clear()
    try:
        assert isinstance(shown(db, inst.id), InstitutionPage)
        assert pagedoc._stale_ids(db, 0, 10) == [inst.id]
    finally:
        monkeypatch.undo()
        pagedoc._build_key.cache_clear()
    assert isinstance(shown(db, inst.id), pagedoc.DocPage)


def test_the_sweep_rebuilds_only_stale_documents(db, rich):
    inst, _ = rich
    others = [institution(db).id for _ in range(3)]
    db.commit()
    assert refresh_stale_pages() == 3
    assert refresh_stale_pages() == 0
    db.execute(text("UPDATE institutions SET beds_vacant = 1 WHERE id = :i"), {"i": others[1]})
    db.commit()
    assert pagedoc._stale_ids(db, 0, 10) == [others[1]]
    assert refresh_stale_pages() == 1
    assert isinstance(shown(db, inst.id), pagedoc.DocPage)


def test_a_deleted_institution_takes_its_document_with_it(db, rich):
    inst, _ = rich
    db.execute(delete(Institution).where(Institution.id == inst.id))
    db.commit()
    assert db.scalar(select(func.count()).select_from(InstitutionPageDoc)) == 0
    assert shown(db, inst.id) is None


def test_recording_a_government_record_queues_the_rebuild(db, rich):
    from portal.institutions.services import records

    inst, dept = rich
    jobs_before = db.scalar(select(func.count()).where(
        OutboxJob.func == task_path(refresh_page)))
    records._done(db, _actor(db, dept), "inspection.recorded", "inspection",
                  inspection(db, inst, dept), inst.id)
    db.commit()
    assert db.scalar(select(func.count()).where(
        OutboxJob.func == task_path(refresh_page))) == jobs_before + 1


def _actor(db, dept):
    from portal.accounts.rules.roles import Role

    from factories import user

    return user(db, Role.DEPARTMENT, department_id=dept.id)


def test_fragments_hold_no_links_but_anchors(db, rich):
    inst, _ = rich
    _, body = pagedoc.build(db, inst.id)
    hrefs = [h for f in body.fragments for h in re.findall(r'href="([^"]*)"', f)]
    assert hrefs and all(h.startswith("#") for h in hrefs)


def test_a_batch_builds_before_it_writes_so_other_writers_do_not_wait(db, rich, monkeypatch):
    """On SQLite a writing transaction holds the database's one write lock from its BEGIN
    IMMEDIATE (portal/core/db.py): a batch of rebuilds must not hold it while it reads and renders."""
    import sqlite3

    from sqlalchemy.engine import make_url

    from portal.core.settings import get_settings

    if not get_settings().is_sqlite:
        pytest.skip("SQLite's write lock")
    ids = [institution(db).id for _ in range(3)]
    db.commit()
    path = make_url(get_settings().database_url).database
    seen: list[bool] = []
    real_build = pagedoc.build

    def build(session, institution_id):
        other = sqlite3.connect(path, timeout=0)  # fails at once if it would have to wait
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append(True)
        except sqlite3.OperationalError:  # database is locked: the batch holds the lock
            seen.append(False)
        finally:
            other.close()
        return real_build(session, institution_id)

    monkeypatch.setattr(pagedoc, "build", build)
    pagedoc.refresh_batch(get_settings().database_url, ids)
    assert seen == [True, True, True]
    assert all(isinstance(shown(db, i), pagedoc.DocPage) for i in ids)
