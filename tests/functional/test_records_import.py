"""Government records imported (`portal import grades|inspections|penalties|credit`) on SQLite
and PostgreSQL: each row checked by the government forms and against the database, upserted by
the record's own number (importing again changes nothing), and an import's rollback refused
while something depends on it — a later import of the same rows, an edit since, a record that
refers to an institution it created — and allowed again once that is undone."""

from __future__ import annotations

import csv
import random
from datetime import date
from decimal import Decimal

from data.registry_rows import make_city, rows, write_xlsx
from sqlalchemy import func, select

from portal.accounts.rules.roles import Role
from portal.cli import main
from portal.institutions.models import CreditEntry, Grade, Inspection, Institution, Penalty
from portal.institutions.rules import creditcode
from portal.registry.models import Import
from portal.registry.services.history import ImportRefused, decision, roll_back

from factories import department, institution, user

HEADERS = {
    "grades": ["统一社会信用代码", "证书编号", "等级", "评定机关", "评定日期", "有效期至", "符合GB 38600"],
    "inspections": ["统一社会信用代码", "检查文书编号", "检查部门", "检查日期", "检查内容", "发现问题",
                    "检查结论", "整改情况", "整改期限"],
    "penalties": ["统一社会信用代码", "处罚决定书文号", "处罚部门", "决定日期", "违法行为", "处罚依据",
                  "处罚内容", "罚款金额（元）", "执行状态"],
    "credit": ["统一社会信用代码", "列入决定文号", "名单类型", "认定部门", "列入事由", "法律依据",
               "列入日期", "有效期至", "信用修复情况"],
}


def write(path, kind, data, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS[kind])
        writer.writerows(data)
    return path


def run(capsys, kind, path, *args):
    code = main(["import", kind, str(path), *args])
    return code, capsys.readouterr().out


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count(model.id)))


def setting(db):
    rng = random.Random(4)
    codes = [creditcode.generate(rng, registration_dept="5", org_type="1", region_code="330102")
             for _ in range(2)]
    homes = [institution(db, credit_code=code) for code in codes]
    market = department(db, "market_regulation")
    civil = department(db, "civil_affairs")
    db.commit()
    return codes, homes, market, civil


def test_records_are_checked_upserted_by_number_and_unchanged_when_imported_again(
        db, tmp_path, capsys):
    codes, homes, market, civil = setting(db)
    a, b = codes
    grades = [[a, "评字001", "三级", "示范市民政局", "2025-03-01", "2028-02-28", "是"],
              [b, "评字002", "5", "示范市民政局", "2025年4月1日", "", "否"]]
    inspections = [
        [a, "检001", civil.name, "2026-05-06", "消防、食品", "灭火器过期", "发现问题，责令限期整改",
         "整改中", "2026-06-06"],
        [b, "检002", civil.name, "2026/05/07", "服务质量", "", "未发现问题", "", ""]]
    penalties = [[a, "示市监罚〔2026〕12号", market.name, "2026-04-01", "未明码标价", "价格法",
                  "警告并罚款", "5000", "已作出决定"]]
    credit = [[b, "信列〔2026〕1号", "黑名单", market.name, "严重失信", "信用条例", "2026-02-01",
               "2029-02-01", ""]]
    for kind, data, model in [("grades", grades, Grade), ("inspections", inspections, Inspection),
                              ("penalties", penalties, Penalty), ("credit", credit, CreditEntry)]:
        path = write(tmp_path / f"{kind}.csv", kind, data)
        code, out = run(capsys, kind, path)
        assert code == 0 and f"已写入：新增 {len(data)}，更新 0，无变化 0" in out, out
        assert count(db, model) == len(data)
        code, out = run(capsys, kind, path)
        assert code == 0 and f"无变化 {len(data)}" in out and "未写入任何数据" in out
        assert count(db, model) == len(data)
    grade = db.scalars(select(Grade).where(Grade.record_no == "评字002")).one()
    assert (grade.level, grade.awarded_on, grade.gb38600_compliant, grade.institution_id) == (
        5, date(2025, 4, 1), False, homes[1].id)
    fine = db.scalars(select(Penalty)).one()
    assert (fine.amount, fine.department_id, fine.status) == (Decimal("5000"), market.id, "decided")
    inspection = db.scalars(select(Inspection).where(Inspection.record_no == "检001")).one()
    assert (inspection.outcome, inspection.rectification_deadline) == (
        "rectification_required", date(2026, 6, 6))
    assert db.scalars(select(CreditEntry)).one().list_type == "black"

    # A row changed: that record updated, the rest unchanged; rolled back, it is as before.
    inspections[0][7] = "已整改"
    code, out = run(capsys, "inspections", write(tmp_path / "i2.csv", "inspections", inspections))
    assert code == 0 and "更新 1，无变化 1" in out
    db.expire_all()
    assert inspection.rectification_status == "done"
    admin = user(db, Role.ADMIN)
    db.commit()
    last = db.scalar(select(func.max(Import.id)))
    roll_back(db, last, admin)
    db.commit()
    db.expire_all()
    assert inspection.rectification_status == "pending"


def test_bad_records_are_reported_by_row_and_column(db, tmp_path, capsys):
    codes, homes, market, civil = setting(db)
    a, b = codes
    unknown = creditcode.generate(random.Random(9), registration_dept="5", org_type="1",
                                  region_code="330102")
    data = [
        [a, "检1", civil.name, "2026-05-06", "消防", "", "未发现问题", "", ""],
        [unknown, "检2", civil.name, "2026-05-06", "消防", "", "未发现问题", "", ""],
        [a, "检3", "不存在的局", "2026-05-06", "消防", "", "未发现问题", "", ""],
        [a, "检4", civil.name, "2026-05-06", "消防", "漏水", "发现问题，责令限期整改", "整改中", ""],
        [a, "检5", civil.name, "2099-01-01", "消防", "", "未发现问题", "", ""],
        [a, "检1", civil.name, "2026-05-08", "消防", "", "未发现问题", "", ""],
        [a, "检7", civil.name, "5月6日", "消防", "", "未发现问题", "", ""],
    ]
    code, out = run(capsys, "inspections", write(tmp_path / "i.csv", "inspections", data,
                                                 encoding="gb18030"))
    assert code == 1, out
    assert "行 3，统一社会信用代码：本平台没有该信用代码的机构" in out
    assert "行 4，检查部门：本平台没有该部门：不存在的局" in out
    assert "行 5，整改期限：需要整改的，请填写整改期限" in out
    assert "行 6，检查日期：检查日期不能晚于今天" in out
    assert "行 7，检查文书编号：与行 2 重复" in out
    assert "行 8，检查日期：日期格式不正确" in out
    assert "行 2，" not in out and count(db, Inspection) == 0
    code, out = run(capsys, "inspections", tmp_path / "i.csv", "--valid-only")
    assert code == 0 and count(db, Inspection) == 1

    # A number already used for another institution's record is not moved to this one.
    moved = [[b, "检1", civil.name, "2026-05-06", "消防", "", "未发现问题", "", ""]]
    code, out = run(capsys, "inspections", write(tmp_path / "m.csv", "inspections", moved))
    assert code == 1 and "该编号已用于另一家机构的抽查检查记录" in out


def test_rollback_waits_for_what_depends_on_the_import(db, tmp_path, capsys, monkeypatch):
    from portal.registry.services import history

    monkeypatch.setattr(history, "CHUNK", 2)
    make_city(db)
    admin = user(db, Role.ADMIN)
    civil = department(db, "civil_affairs")
    db.commit()
    data = rows(5, seed=8)
    assert main(["import", "institutions", str(write_xlsx(tmp_path / "a.xlsx", data))]) == 0
    first = db.scalar(select(func.max(Import.id)))

    def blockers() -> list[str]:
        db.expire_all()
        return decision(db, db.get(Import, first)).reasons

    assert blockers() == []
    # A later import wrote one of its rows: that one first.
    data[0][9] = data[0][9] + 5  # 床位数
    assert main(["import", "institutions", str(write_xlsx(tmp_path / "b.xlsx", data))]) == 0
    second = db.scalar(select(func.max(Import.id)))
    assert blockers() == [f"{data[0][0]}（{data[0][1]}）：之后的导入 #{second} 又写入了这一行，"
                          "请先撤销之后的导入"]
    try:
        roll_back(db, first, admin)
        raise AssertionError("rolled back over a later import")
    except ImportRefused as exc:
        assert "请先撤销之后的导入" in exc.message
    db.rollback()
    roll_back(db, second, admin)
    db.commit()
    assert blockers() == []
    home = db.scalars(select(Institution).where(Institution.credit_code == data[0][1])).one()
    assert home.beds_total == data[0][9] - 5

    # Edited since (here its phone): refused, naming the field; put back, allowed.
    other = db.scalars(select(Institution).where(Institution.credit_code == data[1][1])).one()
    phone = other.phone
    other.phone = "0571-88886666"
    db.commit()
    assert blockers() == [f"{data[1][0]}（{data[1][1]}）：导入后又被修改（联系电话）"]
    other.phone = phone
    db.commit()
    assert blockers() == []

    # A record now refers to an institution it created: undo that record's import first.
    records = [[data[2][1], "检-9", civil.name, "2026-05-06", "消防", "", "未发现问题", "", ""]]
    code, _ = run(capsys, "inspections", write(tmp_path / "i.csv", "inspections", records))
    assert code == 0
    third = db.scalar(select(func.max(Import.id)))
    assert blockers() == [f"{data[2][0]}（{data[2][1]}）：已有其他记录引用（检查记录 1 条）"]
    roll_back(db, third, admin)
    db.commit()
    assert count(db, Inspection) == 0 and blockers() == []
    roll_back(db, first, admin)
    db.commit()
    assert count(db, Institution) == 0
    assert decision(db, db.get(Import, first)).reasons == ["该次导入已撤销"]


def test_an_inspection_imported_dates_the_discovery_of_an_unfiled_place(db, tmp_path, capsys):
    """As when it is entered by form: indicator 2.6 counts the on-site check from that date;
    the rollback takes the date back with the inspection."""
    code = creditcode.generate(random.Random(5), registration_dept="5", org_type="1",
                               region_code="330102")
    place = institution(db, credit_code=code, filing_status="unregistered")
    civil = department(db, "civil_affairs")
    admin = user(db, Role.ADMIN)
    db.commit()
    data = [[code, "检-1", civil.name, "2026-05-06", "无证经营", "未备案", "发现问题，责令限期整改",
             "整改中", "2026-06-06"]]
    code_, out = run(capsys, "inspections", write(tmp_path / "i.csv", "inspections", data))
    assert code_ == 0, out
    db.expire_all()
    assert (place.discovered_on, place.discovered_via, place.discovered_by) == (
        date(2026, 5, 6), "inspection", civil.name)
    roll_back(db, db.scalar(select(func.max(Import.id))), admin)
    db.commit()
    db.expire_all()
    assert (place.discovered_on, place.discovered_via) == (None, "")
    assert count(db, Inspection) == 0
