"""A third-party GeoReport v2 client (PyPI `georeport`) reads the live server in JSON and in XML,
the specification's default format, and sees no answer text, description or name without a key."""

from __future__ import annotations

import pytest
from georeport import GeoReport

from complaints.rules.intake import ComplaintInput
from complaints.services.filing import build_services
from portal.accounts.rules.roles import Role
from portal.core.settings import get_settings

from factories import department, district, institution, user
from servers import serve_app

ANSWER = "经核查情况属实，已责令机构整改并向家属道歉。"
DESCRIPTION = "护工把老人锁在房间里一整天"


def world(db):
    d = district(db, name="南湖区")
    department(db, "civil_affairs")
    civil = department(db, "civil_affairs", d)
    department(db, "market_regulation", d)
    inst = institution(db, district_=d, name="南湖康乐养老院")
    staff = user(db, Role.DEPARTMENT, department_id=civil.id)
    db.commit()
    intake, handling = build_services(db, get_settings())
    numbers = []
    for category, text in (("elder_abuse", DESCRIPTION), ("food_safety", "午饭的肉有异味，老人腹泻")):
        complaint, _ = intake.submit(ComplaintInput(
            channel="web", category_code=category, description=text, institution_id=inst.id,
            complainant_name="孙秀英", complainant_phone="13712345678"))
        numbers.append(complaint.tracking_no)
        if category == "elder_abuse":
            handling.sign(staff, complaint)
            handling.answer(staff, complaint, ANSWER, "partly")
    db.commit()
    return numbers


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_georeport_client_reads_both_formats_without_private_fields(db, env, redis_server):
    numbers = world(db)
    db.close()
    with serve_app(env, redis_server.url, "open311-client-" + "k" * 40) as base:
        for output_format in ("json", "xml"):
            client = GeoReport(base + "/open311/v2", output_format=output_format)
            services = client.get_service_list()
            assert {"elder_abuse", "allocated_land", "other"} <= {s["service_code"] for s in services}
            definition = client.get_service_definition("elder_abuse")
            assert definition["service_code"] == "elder_abuse"
            requests = client.get_service_requests()
            assert sorted(r["service_request_id"] for r in requests) == sorted(numbers)
            answered = client.get_service_request(numbers[0])
            assert answered["service_code"] == "elder_abuse" and answered["status"] == "closed"
            assert answered["district"] == "南湖区"
            for body in [*requests, answered]:
                text = str(body)
                assert ANSWER not in text and DESCRIPTION not in text, output_format
                assert "孙秀英" not in text and "13712345678" not in text
                assert not {"status_notes", "description", "address"} & set(body)
