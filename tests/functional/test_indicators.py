"""The supervision efficiency indicators over HTTP: hand-counted answers on the page, the same
numbers in the XLSX (the 评估表 in its own layout), drill-down records, access by role."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

from openpyxl import load_workbook

from portal.accounts.roles import Role
from portal.opendata.evaluation_form import FORM_COLUMNS, FORM_ROWS

from factories import PASSWORD, department, district, institution, user
from factories.disclosures import grade, inspection
from support import login


class IndicatorTable(HTMLParser):
    """{code: {field: text}} from the page's #indicator-table."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self._in_table = False
        self._code: str | None = None
        self._field: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "indicator-table":
            self._in_table = True
        elif self._in_table and tag == "tr" and "data-code" in a:
            self._code = a["data-code"]
            self.rows[self._code] = {}
        elif self._code and tag == "td" and "data-field" in a:
            self._field = a["data-field"]

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        if tag == "td":
            self._field = None

    def handle_data(self, data):
        if self._code and self._field:
            self.rows[self._code][self._field] = data.strip()


def seed(db):
    east, west = district(db, name="东城区"), district(db, name="西城区")
    office = department(db, "civil_affairs", east)
    # Filed on Wed 2025-09-24: with 国庆 (10-01..08) and the 调休 Sundays/Saturdays (09-28,
    # 10-11) the 20th working day is Tue 2025-10-28.
    on_time = institution(db, district_=east, name="准时颐养院", filing_date=date(2025, 9, 24))
    late = institution(db, district_=east, name="迟查养老院", filing_date=date(2025, 9, 24))
    other = institution(db, district_=west, name="西城老年公寓", filing_date=date(2024, 3, 1))
    inspection(db, on_time, office, inspected_on=date(2025, 10, 28))
    inspection(db, late, office, inspected_on=date(2025, 10, 29))
    grade(db, on_time, level=3, gb38600_compliant=True)
    grade(db, late, level=2, gb38600_compliant=False)
    supervisor = user(db, Role.SUPERVISOR)
    db.commit()
    return supervisor, (on_time, late, other), east


def figures(client, query: str) -> dict[str, tuple[str, str]]:
    page = client.get(f"/indicators/?{query}")
    assert page.status_code == 200, page.text[:300]
    parser = IndicatorTable()
    parser.feed(page.text)
    return {code: (row["numerator"], row["denominator"]) for code, row in parser.rows.items()}


def test_indicator_page_shows_hand_counted_answers_by_district(client, db):
    supervisor, _, east = seed(db)
    login(client, supervisor.username, PASSWORD)
    city = figures(client, "year=2025")
    assert city["2.5"] == ("1", "2")  # on the 20th working day vs. the day after
    assert city["3.5"] == ("2", "3")
    assert city["4.4"] == ("1", "3")  # compliant / registered 养老机构
    assert city["4.5"] == ("2", "3")
    assert figures(client, f"year=2025&district={east.id}")["4.4"] == ("1", "2")

    detail = client.get(f"/indicators/2.5?year=2025&district={east.id}")
    assert "迟查养老院" in detail.text and "逾期检查" in detail.text
    assert "应于 2025-10-28 前检查" in detail.text and "西城老年公寓" not in detail.text


def test_xlsx_is_the_form_and_its_numbers_match_the_page(client, db):
    supervisor, _, east = seed(db)
    login(client, supervisor.username, PASSWORD)
    page = figures(client, f"year=2025&district={east.id}")
    response = client.get(f"/indicators/export.xlsx?year=2025&district={east.id}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["评估表", "指标数据", "明细"]

    form = list(book["评估表"].iter_rows(values_only=True))
    assert form[0][0] == "养老服务监管效能评估表" and "东城区" in form[1][0]
    assert form[2] == FORM_COLUMNS
    body = form[3:3 + len(FORM_ROWS)]
    assert [r[1].split(" ")[0] for r in body] == [r.code for r in FORM_ROWS]
    row_44 = next(r for r in body if r[1].startswith("4.4 "))
    assert row_44[2].startswith("达标 1 家，共 2 家") and row_44[4] == "《养老机构服务安全基本规范》"
    assert next(r for r in body if r[1].startswith("1.1 "))[3] == "本平台没有该项数据，请人工填写"
    row_418 = next(r for r in body if r[1].startswith("4.18 "))
    assert "涉及老人人数和清退情况" in row_418[3]  # 未完成说明: what the portal does not record

    numbers = {(r[0], r[1]): (r[3], r[4]) for r in book["指标数据"].iter_rows(
        min_row=2, values_only=True)}
    for code, (numerator, denominator) in page.items():
        x, y = numbers[("东城区", code)]
        assert str(x) == numerator and (str(y) if y is not None else "—") == denominator, code
    assert numbers[("全市", "4.4")] == (1, 3)

    details = [r for r in book["明细"].iter_rows(min_row=2, values_only=True) if r[1] == "2.5"]
    assert {(r[3], r[5]) for r in details} == {("准时颐养院", "按期检查"), ("迟查养老院", "逾期检查")}


def test_indicators_are_for_civil_affairs_only_and_bad_input_is_friendly(client, db):
    supervisor, _, _ = seed(db)
    staff = user(db, Role.DEPARTMENT)
    db.commit()
    login(client, staff.username, PASSWORD)
    assert client.get("/indicators/").status_code == 403
    assert client.get("/indicators/export.xlsx").status_code == 403
    client.cookies.clear()
    login(client, supervisor.username, PASSWORD)
    assert client.get("/indicators/?year=abc&district=x").status_code == 200
    # 5000 digits once reached int() (a 500): junk like any other, this year is shown.
    assert client.get("/indicators/", params={"year": "9" * 5000}).status_code == 200
    missing = client.get("/indicators/?district=999999")
    assert missing.status_code == 404 and "没有这个区县" in missing.text
    assert client.get("/indicators/9.9").status_code == 404
    assert client.get("/indicators/export.csv?year=2025").text.count("4.4") == 3  # city + 2


def test_indicators_read_the_recorded_outcome_discovery_and_civil_affairs_checks(client, db):
    """Issue 17 items 1–4 over HTTP: 4.1 by outcome, 2.6 from the recorded discovery, 2.5 and
    3.5 only civil affairs' checks, 4.18 without a sum of deposit standards."""
    east = district(db, name="东城区")
    civil, market = department(db, "civil_affairs", east), department(db, "market_regulation", east)
    # Filed Wed 2025-09-24 (20th working day 10-28): only the market regulator came, in time.
    market_only = institution(db, district_=east, name="只有市监检查的养老院",
                              filing_date=date(2025, 9, 24))
    inspection(db, market_only, market, inspected_on=date(2025, 10, 10), findings="未发现问题")
    # Found by the fire brigade's report on Fri 2025-08-08, entered into the system much later;
    # civil affairs checked on 2025-08-20, within 20 working days of the discovery.
    place = institution(db, district_=east, name="无证托老所", filing_status="unregistered",
                        discovered_on=date(2025, 8, 8), discovered_via="other",
                        discovered_by="东城区消防救援大队")
    inspection(db, place, civil, inspected_on=date(2025, 8, 20), findings="无证经营",
               rectification_status="pending", rectification_deadline=date(2025, 9, 20))
    home = institution(db, district_=east, name="当场整改养老院", deposit_amount=Decimal("9000"),
                       deposit_dedicated_account=False)
    inspection(db, home, civil, inspected_on=date(2025, 5, 1), findings="未发现问题，无需整改")
    inspection(db, home, civil, inspected_on=date(2025, 6, 1), findings="灭火器过期，已当场更换",
               outcome="closed_on_spot")
    supervisor = user(db, Role.SUPERVISOR)
    db.commit()
    login(client, supervisor.username, PASSWORD)
    city = figures(client, "year=2025")
    assert city["2.5"] == ("0", "1")
    assert city["2.6"] == ("1", "1")
    assert city["3.5"] == ("1", "2")  # the market regulator's visit is not civil affairs' check
    assert city["4.1"] == ("1", "2")  # 未发现问题 is no problem; on the spot counts as rectified
    detail = client.get("/indicators/2.6?year=2025").text
    assert "发现 2025-08-08" in detail and "东城区消防救援大队" in detail
    assert "其他部门检查 1 次，不计入" in client.get("/indicators/2.5?year=2025").text
    deposits = client.get("/indicators/4.18?year=2026").text  # the fees start in 2026
    value = re.search(r'id="indicator-value">([^<]*)<', deposits).group(1)
    assert "合计" not in value and "超过上限 1 家" in value and "本平台未记录" in value
    assert 'id="indicator-not-recorded"' in deposits and "涉及老人人数和清退情况" in deposits


def test_indicators_follow_the_configured_deposit_cap_and_onsite_deadline(client, db, monkeypatch):
    from portal.settings import reset_settings

    east = district(db, name="东城区")
    office = department(db, "civil_affairs", east)
    # Filed Wed 2025-09-24: the 10th working day is Tue 10-14 (国庆 off, 09-28 and 10-11 调休 on),
    # the 20th Tue 10-28; checked on 10-20.
    home = institution(db, district_=east, name="押金五千养老院", filing_date=date(2025, 9, 24),
                       deposit_amount=Decimal("5000"), deposit_dedicated_account=True)
    inspection(db, home, office, inspected_on=date(2025, 10, 20))
    supervisor = user(db, Role.SUPERVISOR)
    db.commit()
    login(client, supervisor.username, PASSWORD)

    def value(code: str, year: int) -> str:
        page = client.get(f"/indicators/{code}?year={year}").text
        return re.search(r'id="indicator-value">([^<]*)<', page).group(1)

    assert "超过上限 0 家" in value("4.18", 2026)  # 5,000 ≤ 3 × 1,800
    assert value("2.5", 2025).startswith("按期检查 1 家")
    monkeypatch.setenv("PORTAL_CHECK_DEPOSIT_MAX_MONTHS", "2")
    monkeypatch.setenv("PORTAL_CHECK_ONSITE_CHECK_WORKING_DAYS", "10")
    monkeypatch.setenv("PORTAL_CHECK_ONSITE_CHECK_SOURCE", "昆明市昆政办〔2021〕70号（一）")
    reset_settings()
    assert "超过上限 1 家" in value("4.18", 2026)  # 5,000 > 2 × 1,800
    assert value("2.5", 2025).startswith("按期检查 0 家")
    page = client.get("/indicators/2.5?year=2025").text
    assert "10 个工作日" in page and "昆明市昆政办〔2021〕70号（一）" in page
    assert "应于 2025-10-14 前检查" in page
