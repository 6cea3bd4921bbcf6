"""Merging two records of the same institution in the back office (issue 20): every dependent
row moves to the surviving record (the duplicate's disclosures in force retired where the
survivor has its own), the survivor takes the registry fields it lacks, the duplicate is gone
from the directory and its counts, the page version and the documents follow, one audit event
keeps the duplicate's row; refused with friendly errors when the records are two institutions."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from complaints.models import Complaint
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxJob
from portal.core.settings import get_settings
from portal.institutions.models import FeeItem, Inspection, Institution
from portal.institutions.rules import creditcode
from portal.institutions.rules.directory_query import DirectoryQuery
from portal.institutions.services.directory import Directory
from portal.orgs.models import Department
from portal.registry.models import StatusChange
from portal.reviews.models import Review

from factories import department, district, institution, user
from factories.complaints import complaint_row
from factories.disclosures import fee, inspection
from support import post_form as post
from support import sign_in

_rng = random.Random(20)


def a_code() -> str:
    return creditcode.generate(_rng, registration_dept="5", org_type="2", region_code="330102")


def today() -> date:
    return datetime.now(get_settings().timezone).date()


def url(inst_id: int) -> str:
    return f"/admin/registry/institutions/{inst_id}/merge"


def listed(db) -> int:
    db.expire_all()
    return Directory(db).search(DirectoryQuery(), 1, today()).total


def pair(db):
    home = district(db)
    survivor = institution(db, home, name="福寿颐养院", credit_code=None, phone="")
    duplicate = institution(db, home, name="福寿颐养院（老址）", credit_code=a_code(),
                            phone="0571-88880000", registration_no="民登字第9号")
    office = department(db, district_=home)
    inspection(db, duplicate, office)
    fee(db, duplicate, item="护理费", price="900.00")
    complaint = complaint_row(db, office, datetime.now(UTC) - timedelta(days=3))
    complaint.institution_id = duplicate.id
    db.add(Review(institution_id=duplicate.id, rating_attitude=5, rating_hygiene=5,
                  rating_meals=5, rating_care=5, rating_fees=5, text="服务很好，护理员耐心细致，饭菜也合口味。", phone_hash="x" * 64,
                  status="published"))
    db.add(StatusChange(institution_id=duplicate.id, status="suspended",
                        previous_status="operating", effective_on=today() - timedelta(days=40),
                        reason="整改", resettled_count=0))
    staff = user(db, Role.INSTITUTION, institution_id=duplicate.id)
    db.commit()
    return survivor, duplicate, staff


def test_supervisor_merges_a_duplicate_and_everything_follows(client, db):
    survivor, duplicate, staff = pair(db)
    keep, gone, code = survivor.id, duplicate.id, duplicate.credit_code
    # Made now: SQLite gives a new row the highest id + 1, which a deleted duplicate's may be.
    third = institution(db, survivor.district, name="福寿颐养院（新址）")
    db.commit()
    before_version, before_listed = survivor.records_version, listed(db)
    sign_in(client, db, Role.SUPERVISOR)
    page = client.get(f"/admin/registry/institutions/{keep}").text
    assert page.count("合并重复记录") == 1
    assert "<title>运营状态：福寿颐养院 - " in page  # the form is in the page, not its title

    response = post(client, url(keep), duplicate_id=str(gone), reason="同一机构重复登记")
    assert response.status_code == 303, response.text[:1500]
    assert response.headers["location"].endswith("?saved=merged#h-merge")
    db.expire_all()
    assert db.get(Institution, gone) is None
    kept = db.get(Institution, keep)
    # Its blank registry fields from the duplicate; its own name stays.
    assert (kept.name, kept.credit_code, kept.phone, kept.registration_no) == (
        "福寿颐养院", code, "0571-88880000", "民登字第9号")
    assert kept.records_version > before_version
    assert listed(db) == before_listed - 1
    for model in (Inspection, Complaint, Review, StatusChange):
        assert db.scalar(select(func.count()).select_from(model)
                         .where(model.institution_id == keep)) == 1, model
    assert db.get(User, staff.id).institution_id == keep
    # Both had a 床位费 in force: the survivor's stays, the duplicate's is history now.
    fees = {(f.item, f.price, f.effective_to) for f in db.scalars(
        select(FeeItem).where(FeeItem.institution_id == keep))}
    assert fees == {("床位费", Decimal("1800.00"), None), ("床位费", Decimal("1800.00"), today()),
                    ("护理费", Decimal("900.00"), today())}

    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "institution.merge")).one()
    assert event.object_id == str(keep)
    assert event.detail["duplicate"]["id"] == gone
    assert event.detail["duplicate"]["name"] == "福寿颐养院（老址）"
    assert event.detail["moved"]["complaints"] == 1 and event.detail["moved"]["fee_items"] == 2
    assert event.detail["filled"]["credit_code"] == code
    jobs = {(j.func.rsplit(":", 1)[-1], tuple(j.args)) for j in db.scalars(select(OutboxJob))}
    assert {("index_institution", (keep,)), ("index_institution", (gone,)),
            ("refresh_page", (keep,))} <= jobs, jobs

    # The duplicate's old address leads to the survivor; its page shows what moved.
    moved_on = client.get(f"/institutions/{gone}", follow_redirects=False)
    assert (moved_on.status_code, moved_on.headers["location"]) == (301, f"/institutions/{keep}")
    assert client.get(f"/institutions/{gone}/print", follow_redirects=False).headers[
        "location"] == f"/institutions/{keep}/print"
    shown = client.get(f"/institutions/{keep}").text
    assert "福寿颐养院" in shown and "护理费" in shown
    assert client.get("/institutions/999999").status_code == 404
    # The API does as the page does: the old id leads to the survivor's record.
    api = client.get(f"/api/v1/institutions/{gone}", follow_redirects=False)
    assert (api.status_code, api.headers["location"]) == (301, f"/api/v1/institutions/{keep}")
    assert client.get(f"/api/v1/institutions/{gone}").json()["id"] == keep
    missing = client.get("/api/v1/institutions/999999")
    assert missing.status_code == 404 and missing.json()["error"]

    # Merged again, into a third record: both old addresses lead there.
    again = post(client, url(third.id), duplicate_id=str(keep), reason="又一次重复")
    assert again.status_code == 303, again.text[:500]
    assert again.headers["location"].startswith(f"/admin/registry/institutions/{third.id}?")
    db.expire_all()
    assert db.get(Institution, keep) is None
    for old in (gone, keep):
        assert client.get(f"/institutions/{old}", follow_redirects=False).headers[
            "location"] == f"/institutions/{third.id}"


def test_refused_merges_write_nothing_and_say_why(client, db):
    survivor, duplicate, _ = pair(db)
    other = institution(db, credit_code=a_code())
    survivor.credit_code = a_code()
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    cases = [
        ({"duplicate_id": "", "reason": ""}, "请填写重复记录的机构编号"),
        ({"duplicate_id": str(survivor.id), "reason": "重复"}, "不能与本机构自身合并"),
        ({"duplicate_id": "abc", "reason": "重复"}, "机构编号应为正整数"),
        ({"duplicate_id": "999999", "reason": "重复"}, "没有编号为 999999 的机构"),
        ({"duplicate_id": str(duplicate.id), "reason": ""}, "请填写合并原因"),
        ({"duplicate_id": str(other.id), "reason": "重复"}, "统一社会信用代码不同"),
    ]
    for data, message in cases:
        response = post(client, url(survivor.id), **data)
        assert response.status_code == 400, data
        assert message in response.text, (data, response.text[:2000])
    db.expire_all()
    assert db.get(Institution, duplicate.id) is not None
    assert not db.scalars(select(AuditEvent).where(AuditEvent.action == "institution.merge")).all()


def test_a_district_office_merges_only_within_its_district(client, db):
    survivor, duplicate, _ = pair(db)
    elsewhere = institution(db)
    own = db.scalars(select(Department).where(Department.district_id == survivor.district_id)).one()
    sign_in(client, db, Role.DEPARTMENT, department_id=own.id)
    response = post(client, url(survivor.id), duplicate_id=str(elsewhere.id), reason="重复")
    assert response.status_code == 403
    db.expire_all()
    assert db.get(Institution, elsewhere.id) is not None
    response = post(client, url(survivor.id), duplicate_id=str(duplicate.id), reason="重复")
    assert response.status_code == 303
