"""The read-only institution API: filters as on the pages, JSON errors, OpenAPI-valid responses."""

from __future__ import annotations

import re
from datetime import date

import pytest
from jsonschema import Draft202012Validator

from portal.core.openapi import document

from factories import department, district, institution
from factories.disclosures import credit_entry, fee, grade, inspection, penalty, resources


def response_schema(path: str, status: str = "200") -> Draft202012Validator:
    doc = document()
    schema = doc["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": doc["components"]})


def html_ids(client, params: dict) -> list[int]:
    html = client.get("/institutions/", params=params).text
    return [int(i) for i in re.findall(r'<h2><a href="[^"]*/institutions/(\d+)">', html)]


def test_list_matches_the_html_directory_and_the_schema(client, db):
    d = district(db)
    for n, name in enumerate(["丁院", "甲院", "丙院", "乙院", "戊院"]):
        inst = institution(db, district_=d, name=name, admits_mild=n % 2 == 0, beds_vacant=n)
        grade(db, inst, level=n + 1)
        fee(db, inst, "护理费", f"{(n + 1) * 100}.00", care_level="mild")
    institution(db, name="别区院", admits_mild=True)
    db.commit()
    params = {"district": d.id, "admits": "mild", "vacant": "1", "sort": "name"}
    body = client.get("/api/v1/institutions", params=params).json()
    response_schema("/api/v1/institutions").validate(body)
    assert [i["id"] for i in body["items"]] == html_ids(client, params)
    assert body["total"] == 2
    for sort in ["price", "grade", "vacancies"]:
        both = {**params, "sort": sort, "level": "mild", "vacant": "0"}
        api = [i["id"] for i in client.get("/api/v1/institutions", params=both).json()["items"]]
        assert api == html_ids(client, both), sort
    item = client.get("/api/v1/institutions", params={"q": "戊院", "level": "mild"}).json()
    assert item["items"][0]["monthly_fee"] == {"care_level": "mild", "low": "500.00",
                                               "high": "500.00"}
    assert item["items"][0]["grade"] == 5


def test_list_is_ordered_by_id_and_paginated(client, db):
    ids = [institution(db, name=name).id for name in ["丙", "甲", "乙"]]
    db.commit()
    first = client.get("/api/v1/institutions", params={"per_page": 2}).json()
    second = client.get("/api/v1/institutions", params={"per_page": 2, "page": 2}).json()
    assert [i["id"] for i in first["items"] + second["items"]] == sorted(ids)
    assert first["pages"] == 2 and first["total"] == 3


def test_a_page_past_the_last_is_the_last_and_no_match_is_one_empty_page(client, db):
    d = district(db)
    ids = [institution(db, district_=d, name=f"东湖{n}号院").id for n in range(5)]
    institution(db, name="别区院")
    db.commit()

    def listed(**params):
        body = client.get("/api/v1/institutions", params={"per_page": 2, **params}).json()
        return [i["id"] for i in body["items"]], body["total"], body["page"], body["pages"]

    # By the kept counts (a district filter) and by counting the matches (a name filter).
    for params in ({"district": d.id}, {"q": "东湖"}):
        assert listed(**params, page=2) == (ids[2:4], 5, 2, 3)
        assert listed(**params, page=9) == (ids[4:], 5, 3, 3)
    assert listed(q="西湖", page=3) == ([], 0, 1, 1)
    assert html_ids(client, {"district": d.id, "page": "9"}) == ids  # 20 a page there


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("params", "field"), [
    ({"kind": "hotel"}, "kind"),
    ({"grade": "6"}, "grade"),
    ({"district": "x"}, "district"),
    ({"price_min": "-1"}, "price_min"),
    ({"price_min": "5000", "price_max": "1000"}, "price_max"),
    ({"vacant": "yes"}, "vacant"),
    ({"sort": "random"}, "sort"),
    ({"per_page": "1000"}, "per_page"),
    ({"page": "0"}, "page"),
])
def test_bad_filters_are_400_naming_the_field(client, params, field):
    response = client.get("/api/v1/institutions", params=params)
    assert response.status_code == 400
    body = response.json()
    response_schema("/api/v1/institutions", "400").validate(body)
    assert body["error"]["field"] == field and body["error"]["status"] == 400
    assert body["error"]["message"]


def test_detail_has_disclosures_flags_and_completeness(client, db):
    inst = institution(db, name="接口颐养院", admits_severe=True, phone="0571-88886666")
    fee(db, inst, "护理费", "800.00", care_level="self_care", effective_to=date(2025, 12, 31))
    resources(db, inst, caregivers=9, elders_self_care=0, elders_mild=0, elders_severe=42)
    grade(db, inst, level=3)
    dept = department(db)
    inspection(db, inst, dept)
    penalty(db, inst, dept)
    credit_entry(db, inst, "red", dept)
    db.commit()
    response = client.get(f"/api/v1/institutions/{inst.id}")
    assert response.status_code == 200
    body = response.json()
    response_schema("/api/v1/institutions/{institution_id}").validate(body)
    assert body["name"] == "接口颐养院"
    assert [f["price"] for f in body["fees"]] == ["1800.00"]
    assert [f["price"] for f in body["fee_history"]] == ["800.00"]
    flag = next(f for f in body["flags"] if f["code"] == "caregiver_ratio")
    assert flag["numbers"]["required"] == 14 and flag["numbers"]["caregivers"] == 9
    assert "信用承诺书" in body["completeness"]["missing"]
    assert len(body["penalties"]) == 1 and body["credit_entries"][0]["list_type"] == "red"
    # The page shows the same flags.
    html = client.get(f"/institutions/{inst.id}").text
    assert all(f["detail"] in html for f in body["flags"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_unknown_institution_is_a_json_404(client):
    response = client.get("/api/v1/institutions/999999")
    assert response.status_code == 404
    response_schema("/api/v1/institutions/{institution_id}", "404").validate(response.json())
