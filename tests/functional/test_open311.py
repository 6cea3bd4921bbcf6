"""Open311 GeoReport v2: services, creating with an API key, idempotency, reading without PII."""

from __future__ import annotations

from sqlalchemy import select

from complaints.models import Complaint
from portal.accounts.roles import Role
from portal.accounts.services import AccountService

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
    assert client.get("/open311/v2/requests.xml").status_code == 400
