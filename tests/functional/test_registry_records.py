"""Creating and editing an institution's registry record in the back office (issue 20): the
registry import's checks and messages, a credit code held by another institution refused,
audited, shown on the directory and the page; civil affairs only, in its reach."""

from __future__ import annotations

import random

from sqlalchemy import select

from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent
from portal.institutions.models import Institution
from portal.institutions.rules import creditcode

from factories import department, district, institution
from support import post_form as post
from support import sign_in

_rng = random.Random(11)


def a_code() -> str:
    return creditcode.generate(_rng, registration_dept="5", org_type="2", region_code="330102")


def record(home, **over) -> dict[str, str]:
    values = {"name": "新登记颐养院", "credit_code": a_code(), "kind": "residential",
              "nature": "private_nonprofit", "district": home.name,
              "street": f"{home.name}第一街道", "address": "新建路8号", "beds_total": "80",
              "beds_vacant": "80", "legal_representative": "王某", "phone": "0571-88886666",
              "registration_no": "民登字第123号", "registration_date": "2026-05-01",
              "operating_status": "preparing"}
    values.update(over)
    return values


def test_supervisor_registers_and_edits_an_institution(client, db):
    home, other = district(db), district(db)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    assert "登记新机构" in client.get("/admin/registry/institutions/new").text
    response = post(client, "/admin/registry/institutions/new", **record(home))
    assert response.status_code == 303, response.text[:1500]
    db.expire_all()
    inst = db.scalars(select(Institution).where(Institution.name == "新登记颐养院")).one()
    assert (inst.district_id, inst.street.name, inst.beds_total, inst.operating_status,
            inst.filing_status, inst.name_initials) == (
        home.id, f"{home.name}第一街道", 80, "preparing", "registered_unfiled", "xdjyyy")
    created = db.scalars(select(AuditEvent).where(AuditEvent.action == "institution.create")).one()
    assert created.object_id == str(inst.id)
    page = client.get(f"/institutions/{inst.id}").text
    assert "新登记颐养院" in page and "筹建" in page

    edited = record(other, name="新登记颐养院", credit_code=inst.credit_code, street="",
                    beds_total="90", beds_vacant="30", filing_no="测民养备〔2026〕0001号",
                    filing_date="2026-06-01")
    response = post(client, f"/admin/registry/institutions/{inst.id}/edit", **edited)
    assert response.status_code == 303, response.text[:1500]
    db.expire_all()
    inst = db.get(Institution, inst.id)
    assert (inst.district_id, inst.street_id, inst.beds_total, inst.filing_status) == (
        other.id, None, 90, "filed")
    changes = db.scalars(select(AuditEvent).where(
        AuditEvent.action == "institution.update")).one().detail["changes"]
    assert changes["beds_total"] == [80, 90] and changes["district_id"] == [home.id, other.id]
    # The same form again changes nothing and writes no audit event.
    assert post(client, f"/admin/registry/institutions/{inst.id}/edit",
                **edited).headers["location"].endswith("saved=unchanged#current-status")
    assert len(db.scalars(select(AuditEvent).where(
        AuditEvent.action == "institution.update")).all()) == 1


def test_the_import_messages_and_a_taken_code(client, db):
    home = district(db)
    taken = institution(db, district_=home, name="老字号颐养院", credit_code=a_code())
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    bad = record(home, credit_code=taken.credit_code[:-1] + ("0" if taken.credit_code[-1] != "0"
                                                              else "1"),
                 street="不存在街道", beds_vacant="120", registration_date="2026-02-30")
    response = post(client, "/admin/registry/institutions/new", **bad)
    assert response.status_code == 400
    for text in ("校验位错误", f"{home.name}没有该乡镇（街道）：不存在街道", "空余床位数 120 大于床位数 80",
                 "不存在的日期"):
        assert text in response.text, text
    assert 'value="新建路8号"' in response.text  # what was typed stays
    response = post(client, "/admin/registry/institutions/new",
                    **record(home, credit_code=taken.credit_code))
    assert response.status_code == 400
    assert f"已登记为“老字号颐养院”（编号 {taken.id}）" in response.text
    db.expire_all()
    assert db.scalars(select(Institution).where(Institution.name == "新登记颐养院")).first() is None


def test_a_district_office_registers_only_in_its_district(client, db):
    home, other = district(db), district(db)
    sign_in(client, db, Role.DEPARTMENT, department_id=department(db, "civil_affairs", home).id)
    assert post(client, "/admin/registry/institutions/new",
                **record(other)).status_code == 403
    assert post(client, "/admin/registry/institutions/new",
                **record(home)).status_code == 303
    sign_in(client, db, Role.OPERATOR)
    assert post(client, "/admin/registry/institutions/new", **record(home)).status_code == 403
