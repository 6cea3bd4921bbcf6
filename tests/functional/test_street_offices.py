"""Street/town offices (乡镇、街道; issue 20 "Street tier"; seed 000 苏州 三(一), seed 001 (十八)):
a category the city sends to streets goes to the institution's street office, shows in that
office's queue (with its trigger-kept counts) and in the district civil affairs' streets view."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from complaints.models import Complaint, RoutingRule, RoutingRuleChange
from complaints.rules.intake import ComplaintInput
from complaints.services.filing import build_services
from complaints.services.queues import tab_counts
from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent
from portal.core.settings import get_settings
from portal.core.signed_counts import fold
from portal.orgs.models import Department, Street

from factories import PASSWORD, department, district, institution, street_office, user
from support import login, sign_in
from support import post_form as post


def file_complaint(db, inst, category, phone="13712345678"):
    intake, _ = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="web", category_code=category, description="护理员长期不给老人翻身，老人生了褥疮",
        institution_id=inst.id, complainant_name="李四", complainant_phone=phone))
    db.commit()
    return complaint


def logout(client):
    post(client, "/accounts/logout")


def street_city(db):
    d = district(db, name="重阳县")
    street = d.streets[0]
    offices = {
        "ca_city": department(db, "civil_affairs"),
        "ca": department(db, "civil_affairs", d),
        "mr": department(db, "market_regulation", d),
        "street": street_office(db, street),
    }
    other = district(db, name="康乐县")
    offices["other_ca"] = department(db, "civil_affairs", other)
    offices["other_street"] = street_office(db, other.streets[0])
    inst = institution(db, district_=d, name="城关镇敬老院", street_id=street.id)
    no_street = institution(db, district_=d, name="重阳县颐养院")
    staff = {key: user(db, Role.DEPARTMENT, department_id=offices[key].id)
             for key in ("ca", "mr", "street", "other_ca", "other_street")}
    db.get(RoutingRule, "service_quality").street_level = True
    db.commit()
    return offices, inst, no_street, staff


def test_a_street_level_category_goes_to_the_street_office_and_the_district_sees_it(client, db):
    offices, inst, no_street, staff = street_city(db)
    c = file_complaint(db, inst, category="service_quality")
    assert c.responsible_department_id == offices["street"].id
    # Not sent to streets: the district's office, as before.
    plain = file_complaint(db, inst, category="elder_abuse", phone="13712340000")
    assert plain.responsible_department_id == offices["ca"].id
    # No street recorded for the institution: the district's office.
    unplaced = file_complaint(db, no_street, category="service_quality", phone="13712340001")
    assert unplaced.responsible_department_id == offices["ca"].id
    # The 5-working-day clock as for any complaint.
    assert (c.working_days, c.due_at) == (plain.working_days, plain.due_at)

    login(client, staff["street"].username, PASSWORD)
    queue = client.get("/staff/queue")
    assert c.tracking_no in queue.text and "待签收（1）" in queue.text
    assert plain.tracking_no not in queue.text
    assert 'id="streets-link"' not in queue.text
    assert client.get("/staff/streets").status_code == 404
    assert post(client, f"/staff/complaints/{c.id}/sign").status_code == 303
    assert "办理中（1）" in client.get("/staff/queue?tab=signed").text
    logout(client)

    # The district's civil affairs: its own queue has the two district complaints, its
    # streets view the street office's complaint with that office's counts.
    login(client, staff["ca"].username, PASSWORD)
    own = client.get("/staff/queue")
    assert 'id="streets-link"' in own.text and c.tracking_no not in own.text
    streets = client.get("/staff/streets")
    assert streets.status_code == 200
    assert c.tracking_no in streets.text and plain.tracking_no not in streets.text
    assert offices["street"].name in streets.text
    assert offices["other_street"].name not in streets.text
    assert 'data-tab="signed">1<' in streets.text and 'data-tab="assigned">0<' in streets.text
    detail = client.get(f"/staff/complaints/{c.id}")
    assert detail.status_code == 200 and "李四" not in detail.text  # read, masked
    csv = client.get("/staff/streets.csv")
    assert c.tracking_no in csv.text
    logout(client)

    # Another district's civil affairs and a district market office see none of it.
    for key in ("other_ca", "mr"):
        login(client, staff[key].username, PASSWORD)
        assert client.get(f"/staff/complaints/{c.id}").status_code == 404
        logout(client)
    login(client, staff["other_ca"].username, PASSWORD)
    assert c.tracking_no not in client.get("/staff/streets").text
    logout(client)
    assert client.get("/staff/streets", follow_redirects=False).status_code in (302, 303)


def test_street_office_counts_stay_right_after_folding(db):
    offices, inst, _, _ = street_city(db)
    file_complaint(db, inst, category="service_quality")
    file_complaint(db, inst, category="service_quality", phone="13712340002")
    counted = tab_counts(db, offices["street"].id)
    fold(db, "queue_counts")
    db.commit()
    assert counted == tab_counts(db, offices["street"].id)
    real = len(db.scalars(select(Complaint).where(
        Complaint.responsible_department_id == offices["street"].id,
        Complaint.status == "assigned")).all())
    assert counted["assigned"] == real == 2
    assert tab_counts(db, offices["ca"].id)["assigned"] == 0


INSPECTION = {"inspected_on": "2026-03-10", "items_checked": "日常巡查：消防通道、食堂",
              "outcome": "no_findings", "findings": "", "rectification_status": "none_required"}


def test_a_street_office_records_inspections_in_its_district_only(client, db):
    """A street office has no district_id of its own (its street's district is its reach): it
    must never be taken for a city-wide office."""
    offices, inst, _, _ = street_city(db)
    elsewhere = institution(db, district_=district(db, name="北山区"), name="北山颐养院")
    db.commit()
    sign_in(client, db, Role.DEPARTMENT, department_id=offices["street"].id)
    assert post(client, f"/gov/institutions/{inst.id}/inspections", **INSPECTION).status_code == 303
    refused = post(client, f"/gov/institutions/{elsewhere.id}/inspections", **INSPECTION)
    assert refused.status_code == 403 and "不在本部门辖区" in refused.text


def test_an_admin_sends_a_category_to_streets_on_the_routing_page_citing_the_seeds(client, db):
    offices, inst, _, _ = street_city(db)
    db.get(RoutingRule, "service_quality").street_level = False
    db.commit()
    sign_in(client, db, Role.ADMIN)
    page = client.get("/admin/complaints/routing")
    assert "苏府办〔2021〕248号 三(一)" in page.text and "(十八)" in page.text
    form = {"label": "服务质量、护理不到位、未按协议服务", "help_text": "", "keywords": "",
            "responsible_type": "civil_affairs", "active": "1"}
    assert post(client, "/admin/complaints/routing/service_quality", **form,
                street_level="1").status_code == 303
    db.expire_all()
    assert db.get(RoutingRule, "service_quality").street_level
    change = db.scalars(select(RoutingRuleChange).where(
        RoutingRuleChange.code == "service_quality")).one()
    assert (change.before["street_level"], change.after["street_level"]) == (False, True)
    # Intake reads the changed rule at once (the routing_rules trigger bumps the reference).
    assert file_complaint(db, inst, "service_quality").responsible_department_id == \
        offices["street"].id
    assert post(client, "/admin/complaints/routing/service_quality", **form).status_code == 303
    db.expire_all()
    assert not db.get(RoutingRule, "service_quality").street_level
    assert file_complaint(db, inst, "service_quality", phone="13712340003") \
        .responsible_department_id == offices["ca"].id


def test_civil_affairs_adds_a_street_office_and_its_staff_see_its_queue(client, db):
    offices, inst, _, _ = street_city(db)
    same = inst.street
    other = street_office(db, same, "market_regulation")  # another type on the same street
    new_street = district(db, name="滨江区").streets[0]
    home = institution(db, district_=new_street.district, name="滨江颐养院",
                       street_id=new_street.id)
    department(db, "civil_affairs", new_street.district)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    page = client.get("/admin/street-offices/")
    assert page.status_code == 200 and "苏府办〔2021〕248号 三(一)" in page.text
    assert offices["street"].name in page.text and other.name in page.text
    # A second civil-affairs office for the same street, junk ids: refused with a message.
    taken = post(client, "/admin/street-offices/", street_id=str(same.id),
                 type_code="civil_affairs", name="", phone="")
    assert taken.status_code == 400 and "已有该类型的承办单位" in taken.text
    junk = post(client, "/admin/street-offices/", street_id="abc", type_code="nope")
    assert junk.status_code == 400 and "请选择乡镇（街道）" in junk.text
    added = post(client, "/admin/street-offices/", street_id=str(new_street.id),
                 type_code="civil_affairs", name="", phone="0571-88886666")
    assert added.status_code == 303
    office = db.scalars(select(Department).where(Department.street_id == new_street.id)).one()
    assert (office.name, office.district_id, office.phone) == (
        f"滨江区{new_street.name}民政办", None, "0571-88886666")
    audit = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "department")).one()
    assert audit.object_id == str(office.id)
    # Routing reads the new office at once; its staff see the complaint in their queue.
    db.get(RoutingRule, "service_quality").street_level = True
    db.commit()
    c = file_complaint(db, home, "service_quality")
    assert c.responsible_department_id == office.id
    sign_in(client, db, Role.DEPARTMENT, department_id=office.id)
    assert c.tracking_no in client.get("/staff/queue").text
    # Operators may not add offices.
    sign_in(client, db, Role.OPERATOR)
    assert client.get("/admin/street-offices/").status_code == 403


def test_the_evaluation_form_is_computed_per_street(client, db):
    """Seed 004 (酉阳县): each 乡镇（街道） fills in the 效能评估表; the indicators are computed
    over the institutions of the street, on the page, the drill-down and the XLSX."""
    from openpyxl import load_workbook

    from factories.disclosures import grade

    east = district(db, name="东城区")
    first = east.streets[0]
    second = Street(district_id=east.id, name="朝晖街道")
    db.add(second)
    db.flush()
    a = institution(db, district_=east, name="东华颐养院", street_id=first.id)
    b = institution(db, district_=east, name="朝晖养老院", street_id=second.id)
    c = institution(db, district_=east, name="朝晖老年公寓", street_id=second.id)
    grade(db, a, level=3, gb38600_compliant=True)
    grade(db, b, level=2, gb38600_compliant=False)
    grade(db, c, level=2, gb38600_compliant=True)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    page = client.get(f"/indicators/?year=2026&district={east.id}")
    assert page.status_code == 200 and 'id="indicator-streets"' in page.text
    cell = re.compile(r'data-street="(\d+)" data-code="4\.4"><a [^>]*>([^<]*)</a>')
    found = dict(cell.findall(page.text))
    assert found[str(first.id)].startswith("1/1") and found[str(second.id)].startswith("1/2")
    one = client.get(f"/indicators/?year=2026&district={east.id}&street={second.id}")
    assert "东城区朝晖街道" in one.text
    detail = client.get(f"/indicators/4.4?year=2026&district={east.id}&street={second.id}")
    assert "朝晖养老院" in detail.text and "东华颐养院" not in detail.text
    book = load_workbook(io.BytesIO(client.get(
        f"/indicators/export.xlsx?year=2026&district={east.id}&street={second.id}").content))
    assert "乡镇（街道）：东城区朝晖街道" in list(book["评估表"].iter_rows(values_only=True))[1][0]
    # A street of another district, or junk: a friendly 404 / the district as before.
    other = district(db, name="西城区")
    db.commit()
    assert client.get(f"/indicators/?year=2026&district={other.id}"
                      f"&street={second.id}").status_code == 404
    assert client.get(f"/indicators/?year=2026&district={east.id}&street=x").status_code == 200
