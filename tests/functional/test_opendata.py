"""The public open-data page and its downloads: every dataset in CSV, JSON and XLSX, formula
injection neutralised, and no complainant's name, phone or words in any file."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook

from complaints.rules.intake import ComplaintInput
from complaints.services.filing import build_services
from portal.core.settings import get_settings
from portal.opendata.services.datasets import DATASETS

from factories import department, district, institution
from factories.disclosures import credit_entry, grade, inspection, penalty

EVIL = '=HYPERLINK("http://evil.example","点我")养老院'
PHONES = ("13911112222", "13933334444", "13955556666")
NAMES = ("欧阳震华", "司马光明", "诸葛青云")
SECRET_WORDS = "护工深夜推搡老人致淤青"


def seed(db):
    east, west = district(db, name="东城区"), district(db, name="西城区")
    department(db, "civil_affairs")  # the city office takes districts without their own
    office = department(db, "civil_affairs", east)
    a = institution(db, district_=east, name=EVIL)
    b = institution(db, district_=east, name="+1颐养院")
    c = institution(db, district_=west, name="@SUM(A1)老年公寓")
    grade(db, a, level=4, gb38600_compliant=True)
    grade(db, b, level=2, gb38600_compliant=False)
    inspection(db, a, office, findings="-2+3 消防通道堵塞", rectification_status="pending",
               rectification_deadline=date(2026, 4, 10))
    penalty(db, b, office, violation="@未明码标价")
    credit_entry(db, c, "black", office)
    db.commit()
    intake, _ = build_services(db, get_settings())
    for inst, phone, name in zip((a, a, c), PHONES, NAMES, strict=True):
        intake.submit(ComplaintInput(
            channel="web", category_code="service_quality", institution_id=inst.id,
            description=f"{SECRET_WORDS}，请回电 {phone}，我是{name}",
            complainant_name=name, complainant_phone=phone))
    db.commit()
    return a, b, c


def text_of(response) -> str:
    """Everything a file says: the CSV/JSON text, or every cell of every XLSX sheet."""
    if response.headers["content-type"].startswith("application/vnd.openxmlformats"):
        book = load_workbook(io.BytesIO(response.content))
        return "\n".join(str(v) for ws in book.worksheets
                         for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    return response.content.decode("utf-8-sig")


def test_open_data_page_lists_every_dataset_with_its_dictionary(client):
    page = client.get("/opendata")
    assert page.status_code == 200
    for dataset in DATASETS.values():
        assert dataset.title in page.text
        assert f"/opendata/{dataset.code}.csv" in page.text
        assert f"/opendata/{dataset.code}/dictionary.json" in page.text
        assert all(f"<code>{f.name}</code>" in page.text for f in dataset.fields)
    assert "/opendata/" in client.get("/").text  # linked from every page's footer


def test_no_download_contains_personal_data(client, db):
    seed(db)
    files = {}
    for code in DATASETS:
        for fmt in ("csv", "json", "xlsx"):
            response = client.get(f"/opendata/{code}.{fmt}")
            assert response.status_code == 200, (code, fmt)
            files[f"{code}.{fmt}"] = text_of(response)
        files[f"{code}-dictionary.csv"] = text_of(client.get(f"/opendata/{code}/dictionary.csv"))
    for name, text in files.items():
        for secret in (*PHONES, *NAMES, SECRET_WORDS, "1391111", "欧阳"):
            assert secret not in text, f"{secret} leaked into {name}"
    # The files do carry the published data (the search above could not pass vacuously).
    assert "+1颐养院" in files["institutions.csv"] and "+1颐养院" in files["institutions.xlsx"]
    assert "消防通道堵塞" in files["inspections.json"]
    assert "service_quality" in files["complaint-stats.csv"]


def test_downloads_neutralise_formulas_but_json_keeps_the_text(client, db):
    seed(db)
    rows = list(csv.DictReader(io.StringIO(
        client.get("/opendata/institutions.csv").content.decode("utf-8-sig"))))
    names = {r["name"] for r in rows}
    assert {"'" + EVIL, "'+1颐养院", "'@SUM(A1)老年公寓"} <= names
    inspections = client.get("/opendata/inspections.csv").content.decode("utf-8-sig")
    assert "'-2+3 消防通道堵塞" in inspections

    book = load_workbook(io.BytesIO(client.get("/opendata/institutions.xlsx").content))
    cells = [c for row in book.worksheets[0].iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "'" + EVIL in {c.value for c in cells}
    assert book.sheetnames[1] == "数据字典"

    data = client.get("/opendata/institutions.json").json()
    assert EVIL in {r["name"] for r in data}  # JSON is not a spreadsheet: text as published
    by_name = {r["name"]: r for r in data}
    assert by_name[EVIL]["grade_level"] == 4 and by_name[EVIL]["gb38600_compliant"] is True
    assert by_name["+1颐养院"]["gb38600_compliant"] is False
    assert set(data[0]) == set(DATASETS["institutions"].names)


def test_complaint_statistics_are_aggregates_by_month_category_and_district(client, db):
    seed(db)
    rows = client.get("/opendata/complaint-stats.json").json()
    total = [r for r in rows if r["dimension"] == "total"]
    assert sum(r["received"] for r in total) == 3
    districts = {r["label"]: r["received"] for r in rows if r["dimension"] == "district"}
    assert districts == {"东城区": 2, "西城区": 1}
    categories = {r["key"]: r["received"] for r in rows if r["dimension"] == "category"}
    assert categories == {"service_quality": 3}
    assert set(rows[0]) == set(DATASETS["complaint-stats"].names)


def test_data_dictionary_downloads_describe_each_field(client):
    data = client.get("/opendata/penalties/dictionary.json").json()
    assert [f["name"] for f in data["fields"]] == DATASETS["penalties"].names
    assert data["fields"][0]["meaning"] == "处罚决定书文号"
    rows = list(csv.reader(io.StringIO(
        client.get("/opendata/penalties/dictionary.csv").content.decode("utf-8-sig"))))
    assert rows[0] == ["字段名", "类型", "类型说明", "含义"] and len(rows) == 12


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", ["/opendata/nothing.csv", "/opendata/fees.exe",
                                  "/opendata/nothing/dictionary.json"])
def test_unknown_dataset_or_format_is_a_friendly_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "开放数据" in response.text or "格式" in response.text


def test_large_download_is_streamed(client, db):
    """Rows are pulled while the response is sent (checked on the generator, not by timing)."""
    seed(db)
    with client.stream("GET", "/opendata/fees.csv") as response:
        assert response.headers.get("content-length") is None  # chunked, not one body
        body = b"".join(response.iter_bytes()).decode("utf-8-sig")
    assert body.count("\n") == 1 + 3  # header + the three institutions' fee rows
    assert json.loads(client.get("/opendata/fees.json").text)[0]["price"] == 1800.0


def test_inspection_and_institution_downloads_carry_the_outcome_and_the_discovery(client, db):
    a, b, _ = seed(db)
    place = institution(db, district_=a.district, name="无证托老所", filing_status="unregistered",
                        discovered_on=date(2026, 2, 3), discovered_via="complaint",
                        discovered_by="12349 热线")
    inspection(db, b, findings="灭火器过期，已当场更换", outcome="closed_on_spot")
    db.commit()
    rows = client.get("/opendata/inspections.json").json()
    assert {(r["outcome"], r["outcome_label"]) for r in rows} == {
        ("rectification_required", "发现问题，责令限期整改"),
        ("closed_on_spot", "发现问题，已当场整改")}
    by_id = {r["id"]: r for r in client.get("/opendata/institutions.json").json()}
    assert (by_id[place.id]["discovered_on"], by_id[place.id]["discovered_via_label"],
            by_id[place.id]["discovered_by"]) == ("2026-02-03", "投诉举报", "12349 热线")
    assert by_id[b.id]["discovered_on"] is None and by_id[b.id]["discovered_via"] is None
