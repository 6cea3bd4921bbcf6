"""The tables departments and supervisors see, exported as CSV and XLSX: no complainant's name
or phone (not even one written into the description), formula injection neutralised."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from complaints.rules.intake import ComplaintInput
from complaints.services.filing import build_services
from portal.accounts.rules.roles import Role
from portal.core.settings import get_settings

from factories import PASSWORD, department, district, institution, user
from support import login

PHONE, NAME = "13822223333", "上官婉清"


def seed(db):
    d = district(db, name="南湖区")
    office = department(db, "civil_affairs", d)
    city = department(db, "civil_affairs")
    inst = institution(db, district_=d, name="@SUM(A1)南湖养老院")
    intake, _ = build_services(db, get_settings())
    complaints = [
        intake.submit(ComplaintInput(
            channel="web", category_code="service_quality", institution_id=inst.id,
            description=(f'=HYPERLINK("http://evil.example")我是{NAME}，电话 138-2222-3333，'
                         "身份证 530102199001011231，邮箱 wanqing＠example.com，"
                         "座机（0871）6512 3456"),
            complainant_name=NAME, complainant_phone=PHONE))[0],
        intake.submit(ComplaintInput(
            channel="web", category_code="service_quality", institution_id=inst.id,
            description="家属代投诉，联系 13700001111", complainant_name="匿名",
            complainant_phone="13700001111"))[0],
    ]
    staff = user(db, Role.DEPARTMENT, department_id=office.id)
    supervisor = user(db, Role.SUPERVISOR, department_id=city.id)
    db.commit()
    return complaints, staff, supervisor


def cells(response) -> list[str]:
    book = load_workbook(io.BytesIO(response.content))
    found = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                if cell.value is not None:
                    found.append(str(cell.value))
    return found


def test_queue_and_supervision_exports_carry_no_personal_data(client, db):
    complaints, staff, supervisor = seed(db)
    files = {}
    login(client, staff.username, PASSWORD)
    files["queue.csv"] = client.get("/staff/queue.csv?tab=assigned").content.decode("utf-8-sig")
    files["queue.xlsx"] = "\n".join(cells(client.get("/staff/queue.xlsx?tab=assigned")))
    client.cookies.clear()
    login(client, supervisor.username, PASSWORD)
    files["supervision.csv"] = client.get("/staff/supervision.csv?view=all").content.decode(
        "utf-8-sig")
    files["supervision.xlsx"] = "\n".join(cells(client.get("/staff/supervision.xlsx?view=all")))
    for name, text in files.items():
        for c in complaints:
            assert c.tracking_no in text, name  # the rows are there
        for secret in (PHONE, "138-2222-3333", "13700001111", NAME, "婉清",
                       "530102199001011231", "wanqing", "6512 3456"):
            assert secret not in text, f"{secret} in {name}"
        assert "138****3333" in text and "上***" in text  # masked the way pages mask
        assert "5301**********1231" in text and "w***@example.com" in text
        assert "0871-****3456" in text
        assert "'@SUM(A1)南湖养老院" in text and "'=HYPERLINK" in text


def test_exports_keep_to_their_roles(client, db):
    _, staff, _ = seed(db)
    login(client, staff.username, PASSWORD)
    assert client.get("/staff/supervision.xlsx").status_code == 403
    response = client.get("/staff/queue.xlsx")
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["待签收"]
