"""The records' own numbers (评定证书编号, 检查文书编号, 列入决定文号) entered on the government
entry pages: unique where given, and the key a registry import upserts by, so a record entered
by form and imported later stays one record."""

from __future__ import annotations

from sqlalchemy import select
from test_gov_records import CREDIT, GRADE, INSPECTION

from portal.accounts.rules.roles import Role
from portal.institutions.models import CreditEntry, Grade, Inspection

from factories import institution
from support import post_form as post
from support import sign_in


def test_record_numbers_entered_by_form_are_unique_and_an_import_updates_that_record(
        client, db, tmp_path, capsys):
    import csv

    from portal.cli import main
    from portal.institutions.rules import creditcode

    code = creditcode.generate(__import__("random").Random(7), registration_dept="5",
                               org_type="1", region_code="330102")
    inst = institution(db, credit_code=code)
    other = institution(db)
    db.commit()
    actor = sign_in(client, db, Role.SUPERVISOR)
    numbered = {**INSPECTION, "department_id": str(actor.department_id), "record_no": "检字〔2026〕7号"}
    assert post(client, f"/gov/institutions/{inst.id}/inspections", **numbered).status_code == 303
    page = client.get(f"/gov/institutions/{inst.id}").text
    assert "文书编号 检字〔2026〕7号" in page
    # Another record with the same number is refused on the form, naming the field.
    again = post(client, f"/gov/institutions/{other.id}/inspections", **numbered)
    assert again.status_code == 400 and "检查文书编号“检字〔2026〕7号”已录入过，请核对" in again.text
    # Without a number, any number of records (the column is unique only where set).
    for target in (inst, other):
        assert post(client, f"/gov/institutions/{target.id}/inspections",
                    **INSPECTION).status_code == 303
    db.expire_all()
    assert sorted(r or "" for r in db.scalars(select(Inspection.record_no))) == [
        "", "", "检字〔2026〕7号"]
    assert post(client, f"/gov/institutions/{inst.id}/grades",
                **GRADE, record_no="评证〔2024〕3号").status_code == 303
    assert post(client, f"/gov/institutions/{other.id}/grades",
                **GRADE, record_no="评证〔2024〕3号").status_code == 400
    assert post(client, f"/gov/institutions/{inst.id}/credit",
                **{**CREDIT, "department_id": str(actor.department_id)},
                record_no="信列〔2026〕9号").status_code == 303
    db.expire_all()
    assert db.scalars(select(Grade.record_no)).one() == "评证〔2024〕3号"
    assert db.scalars(select(CreditEntry.record_no)).one() == "信列〔2026〕9号"

    # The same inspection in the office's export: the import updates it, adds nothing.
    path = tmp_path / "检查.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["统一社会信用代码", "检查文书编号", "检查部门", "检查日期", "检查内容",
                         "发现问题", "检查结论", "整改情况", "整改期限"])
        writer.writerow([code, "检字〔2026〕7号", actor.department.name, "2026-03-10",
                         "消防通道、食品留样", "消防通道堆放杂物", "发现问题，责令限期整改", "已整改",
                         "2026-04-10"])
    assert main(["import", "inspections", str(path)]) == 0, capsys.readouterr().out
    assert "新增 0，更新 1" in capsys.readouterr().out
    db.expire_all()
    assert db.scalar(select(Inspection.rectification_status).where(
        Inspection.record_no == "检字〔2026〕7号")) == "done"
    assert len(db.scalars(select(Inspection.id)).all()) == 3
