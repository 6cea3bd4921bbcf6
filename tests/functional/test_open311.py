"""Open311 GeoReport v2: services, creating with an API key, idempotency, reading without PII,
what a key's role may read, XML (the specification's default format), date parameters."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from complaints.models import Complaint
from complaints.services.filing import build_services
from portal.accounts.rules.roles import Role
from portal.accounts.services import AccountService
from portal.core.settings import get_settings

from factories import department, district, institution, user


def setup(db):
    d = district(db, name="北山区")
    department(db, "civil_affairs")
    mr = department(db, "market_regulation", d)
    inst = institution(db, district_=d, name="北山夕阳红养老院")
    operator = user(db, Role.OPERATOR)
    key = AccountService(db).create_api_key(operator, "12345 hand-over").secret
    db.commit()
    return inst, mr, key


def test_services_list_every_category_code(client, db):
    body = client.get("/open311/v2/services.json").json()
    codes = {s["service_code"] for s in body}
    assert {"fire_safety", "elder_abuse", "allocated_land", "other"} <= codes and len(codes) == 21
    definition = client.get("/open311/v2/services/fire_safety.json").json()
    assert any(a["code"] == "institution_id" for a in definition["attributes"])


def test_post_requires_an_api_key(client, db):
    inst, _, _ = setup(db)
    response = client.post("/open311/v2/requests.json", data={
        "service_code": "food_safety", "description": "饭菜发霉", "attribute[institution_id]": inst.id})
    assert response.status_code == 401
    assert response.json()[0]["code"] == 401


def test_post_creates_a_routed_clocked_request_once_per_idempotency_key(client, db):
    inst, mr, key = setup(db)
    data = {"service_code": "food_safety", "description": "午饭的肉有异味，好几位老人腹泻",
            "attribute[institution_id]": str(inst.id), "phone": "13600001234", "last_name": "王"}
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "12345-2026-0001"}
    first = client.post("/open311/v2/requests.json", data=data, headers=headers)
    assert first.status_code == 201
    body = first.json()[0]
    assert body["agency_responsible"] == mr.name
    assert body["expected_datetime"].endswith("+08:00")
    again = client.post("/open311/v2/requests.json", data=data, headers=headers)
    assert again.status_code == 200
    assert again.json()[0]["service_request_id"] == body["service_request_id"]
    assert len(db.scalars(select(Complaint)).all()) == 1


def test_handover_keeps_the_original_receipt_time(client, db):
    inst, _, key = setup(db)
    response = client.post("/open311/v2/requests.json", headers={"Authorization": f"Bearer {key}"},
                           data={"service_code": "pricing", "description": "乱收护理费，没有明码标价",
                                 "attribute[institution_id]": str(inst.id),
                                 "attribute[received_at]": "2026-11-20T09:30:00+08:00"})
    assert response.status_code == 201, response.text
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.channel == "handover"
    assert complaint.received_at.isoformat() == "2026-11-20T01:30:00+00:00"


def test_bad_input_gets_an_open311_error_naming_the_field(client, db):
    inst, _, key = setup(db)
    response = client.post("/open311/v2/requests.json", headers={"Authorization": f"Bearer {key}"},
                           data={"service_code": "nope", "description": "有问题有问题",
                                 "attribute[institution_id]": str(inst.id)})
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("category")


def test_public_reads_show_no_personal_data_or_description(client, db):
    inst, _, key = setup(db)
    created = client.post("/open311/v2/requests.json", headers={"Authorization": f"Bearer {key}"},
                          data={"service_code": "deposit", "description": "押金收了三万不退",
                                "attribute[institution_id]": str(inst.id), "phone": "13600001234",
                                "last_name": "赵"}).json()[0]
    number = created["service_request_id"]
    one = client.get(f"/open311/v2/requests/{number}.json")
    assert one.status_code == 200
    text = one.text
    assert "13600001234" not in text and "赵" not in text and "押金收了三万不退" not in text
    listed = client.get("/open311/v2/requests.json", params={"status": "open"}).json()
    assert [r["service_request_id"] for r in listed] == [number]
    assert client.get("/open311/v2/requests/999.json").status_code == 404


DESCRIPTION = "护工把老人锁在房间里一整天"
ANSWER = "经核查情况属实，已责令机构辞退涉事护工并向家属道歉。"


def answered_elsewhere(client, db, answer=ANSWER, co_office=None):
    """One complaint filed by an operator's key and answered by the responsible office."""
    inst, mr, key = setup(db)
    civil = department(db, "civil_affairs", inst.district)
    staff = user(db, Role.DEPARTMENT, department_id=civil.id)
    other_office = user(db, Role.DEPARTMENT, department_id=mr.id)
    keys = {"operator": key}
    for name, account in {"staff": staff, "other_office": other_office,
                          "institution": user(db, Role.INSTITUTION, institution_id=inst.id),
                          "supervisor": user(db, Role.SUPERVISOR),
                          "other_operator": user(db, Role.OPERATOR)}.items():
        keys[name] = AccountService(db).create_api_key(account, name).secret
    db.commit()
    created = client.post("/open311/v2/requests.json", headers={"Authorization": f"Bearer {key}"},
                          data={"service_code": "elder_abuse", "description": DESCRIPTION,
                                "attribute[institution_id]": str(inst.id), "phone": "13600001234",
                                "last_name": "钱"})
    assert created.status_code == 201, created.text
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.responsible_department_id == civil.id
    _, handling = build_services(db, get_settings())
    handling.sign(staff, complaint)
    if co_office is not None:
        handling.request_co_handling(staff, complaint, co_office(db).id)
    handling.answer(staff, complaint, answer, "substantiated")
    db.commit()
    return complaint, inst, keys


PRIVATE = ("status_notes", "description", "address", "address_id")


def test_without_a_key_requests_show_no_answer_description_name_or_address(client, db):
    complaint, inst, _ = answered_elsewhere(client, db)
    for path in ("/open311/v2/requests.json", f"/open311/v2/requests/{complaint.tracking_no}.json"):
        response = client.get(path)
        assert response.status_code == 200
        for text in (ANSWER, DESCRIPTION, "钱", "13600001234", inst.address):
            assert text not in response.text, (path, text)
        [body] = response.json()
        assert body["service_request_id"] == complaint.tracking_no
        assert body["service_code"] == "elder_abuse" and body["status"] == "closed"
        assert body["district"] == "北山区" and body["requested_datetime"]
        assert not set(PRIVATE) & set(body)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("holder,full", [
    ("operator", True), ("staff", True), ("supervisor", True),
    ("other_office", False), ("institution", False), ("other_operator", False),
])
def test_a_key_reads_what_its_role_may_open(client, db, holder, full):
    complaint, inst, keys = answered_elsewhere(client, db)
    for headers, params in (({"Authorization": f"Bearer {keys[holder]}"}, {}),
                            ({}, {"api_key": keys[holder]})):
        [body] = client.get("/open311/v2/requests.json", headers=headers, params=params).json()
        if full:
            assert body["status_notes"] == ANSWER and body["description"] == DESCRIPTION
            assert body["address"] == inst.address
        else:
            assert not set(PRIVATE) & set(body)
        assert "钱" not in str(body) and "13600001234" not in str(body)


PERSONAL_ANSWER = ("已电话联系投诉人钱多多（+86 136 0000 1234，身份证 530102199001011231），"
                   "机构已按昆民罚〔2026〕12号整改。")
SCRUBBED_ANSWER = ("已电话联系投诉人钱**（136****1234，身份证 5301**********1231），"
                   "机构已按昆民罚〔2026〕12号整改。")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_key_outside_the_handlers_reads_the_answer_scrubbed(client, db):
    co = {}

    def co_office(db):
        co["office"] = department(db, "health")
        return co["office"]

    complaint, _, keys = answered_elsewhere(client, db, PERSONAL_ANSWER, co_office)
    complaint.complainant_name = "钱多多"
    keys["co_office"] = AccountService(db).create_api_key(
        user(db, Role.DEPARTMENT, department_id=co["office"].id), "co").secret
    keys["admin"] = AccountService(db).create_api_key(user(db, Role.ADMIN), "admin").secret
    db.commit()
    path = f"/open311/v2/requests/{complaint.tracking_no}"
    for holder in ("operator", "staff", "supervisor"):  # the handlers read it as written
        [body] = client.get(f"{path}.json", params={"api_key": keys[holder]}).json()
        assert body["status_notes"] == PERSONAL_ANSWER, holder
    for holder in ("co_office", "admin"):
        [body] = client.get(f"{path}.json", params={"api_key": keys[holder]}).json()
        assert body["status_notes"] == SCRUBBED_ANSWER, holder
        one = xml(client.get(f"{path}.xml", params={"api_key": keys[holder]}), "service_requests")
        assert one.findtext("request/status_notes") == SCRUBBED_ANSWER, holder


def test_a_key_that_is_not_valid_is_refused_not_read_as_public(client, db):
    answered_elsewhere(client, db)
    response = client.get("/open311/v2/requests.json", params={"api_key": "nope"})
    assert response.status_code == 401
    assert client.get("/open311/v2/requests.xml",
                      headers={"Authorization": "Bearer nope"}).status_code == 401


def xml(response, root):
    assert response.headers["content-type"].startswith("application/xml"), response.text
    document = ET.fromstring(response.content)  # noqa: S314 - our own server's answer
    assert document.tag == root
    return document


def test_every_method_answers_in_xml_too(client, db):
    complaint, inst, keys = answered_elsewhere(client, db)
    services = xml(client.get("/open311/v2/services.xml"), "services")
    codes = [s.findtext("service_code") for s in services.findall("service")]
    assert len(codes) == 21 and "elder_abuse" in codes
    assert services.find("service/metadata").text == "true"
    definition = xml(client.get("/open311/v2/services/elder_abuse.xml"), "service_definition")
    assert "institution_id" in [a.findtext("code") for a in definition.findall("attributes/attribute")]
    assert definition.find("attributes/attribute[code='urgent']/values/value/key").text == "true"
    public = xml(client.get("/open311/v2/requests.xml"), "service_requests")
    [request] = public.findall("request")
    assert request.findtext("service_request_id") == complaint.tracking_no
    assert request.find("status_notes") is None and ANSWER.encode() not in ET.tostring(public)
    one = xml(client.get(f"/open311/v2/requests/{complaint.tracking_no}.xml",
                         params={"api_key": keys["operator"]}), "service_requests")
    assert one.findtext("request/status_notes") == ANSWER
    created = client.post("/open311/v2/requests.xml", data={
        "api_key": keys["operator"], "service_code": "food_safety",
        "description": "饭菜发霉好几天了", "attribute[institution_id]": str(inst.id)})
    assert created.status_code == 201
    assert xml(created, "service_requests").findtext("request/service_request_id")
    missing = client.get("/open311/v2/services/nope.xml")
    assert missing.status_code == 404
    assert xml(missing, "errors").findtext("error/code") == "404"
    refused = client.post("/open311/v2/requests.xml", data={"service_code": "other"})
    assert refused.status_code == 401 and xml(refused, "errors").find("error/description").text


EXTREMES = ["0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-23:59",
            "1969-12-31T23:59:59Z", "2200-01-01T00:00:00Z"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("value", EXTREMES)
@pytest.mark.parametrize("name", ["end_date", "start_date"])
def test_date_extremes_are_a_400_naming_the_parameter(client, db, name, value):
    response = client.get("/open311/v2/requests.json", params={name: value})
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith(f"{name}:")
    response = client.get("/open311/v2/requests.xml", params={name: value})
    assert response.status_code == 400
    assert xml(response, "errors").findtext("error/description").startswith(f"{name}:")


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-23:59"])
def test_a_handover_receipt_time_at_an_extreme_is_a_400(client, db, value):
    inst, _, key = setup(db)
    response = client.post("/open311/v2/requests.json", headers={"Authorization": f"Bearer {key}"},
                           data={"service_code": "other", "description": "院里的路灯坏了很久",
                                 "attribute[institution_id]": str(inst.id),
                                 "attribute[received_at]": value})
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("attribute[received_at]:")
    assert db.scalars(select(Complaint)).first() is None
