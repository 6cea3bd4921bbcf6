"""`portal import places` on SQLite and PostgreSQL (issue 20, Imports): a GB18030 CSV of
unregistered places with bad rows is reported by row and column and writes nothing; fixed, it
imports once (audited, page and search jobs, each place with how, when and by whom it was
found); again, nothing changes; a registered institution's code is refused, and a place
converted since keeps its registration."""

from __future__ import annotations

import csv
import random

from sqlalchemy import func, select

from portal.cli import main
from portal.core.audit import AuditEvent
from portal.core.jobs import OutboxJob
from portal.institutions.models import Institution
from portal.institutions.rules import creditcode
from portal.registry.rules.place_import import COLUMNS

from factories import district, institution

_rng = random.Random(27)


def a_code() -> str:
    return creditcode.generate(_rng, registration_dept="9", org_type="2", region_code="330102")


def write(path, rows) -> None:
    with path.open("w", encoding="gb18030", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([c.header for c in COLUMNS])
        out.writerows(rows)


def row(home, name, *, code="", via="检查发现", on="2025-08-08", by="区民政局", address="老街1号"):
    # 场所名称 统一社会信用代码 服务类型 性质 所在区县 乡镇（街道） 地址 经营者或负责人 联系电话 床位数
    # 发现途径 发现日期 发现单位或人员
    return [name, code, "", "", home.name, f"{home.name}第一街道", address, "", "", "12",
            via, on, by]


def run(capsys, path) -> tuple[int, str]:
    code = main(["import", "places", str(path)])
    return code, capsys.readouterr().out


def counts(db) -> tuple[int, int, int]:
    db.rollback()
    return (db.scalar(select(func.count(Institution.id))),
            db.scalar(select(func.count(AuditEvent.id))
                      .where(AuditEvent.action == "registry.imported")),
            db.scalar(select(func.count(OutboxJob.id))))


def test_places_are_checked_whole_then_imported_once(db, tmp_path, capsys):
    home = district(db)
    registered = institution(db, home, name="正规颐养院", credit_code=a_code())
    db.commit()
    market_code = a_code()
    good = [row(home, "无证托老点甲"),
            row(home, "家庭托老所乙", via="投诉举报", on="2025/9/1", by="12345热线",
                address="新村3幢"),
            row(home, "某某养老服务有限公司", code=market_code, via="市场监管登记信息推送",
                on="2025年10月8日", by="区市场监管局", address="工业路9号")]
    bad = [list(r) for r in good]
    bad[0][11] = "2099-01-01"
    bad[1][4] = "火星区"
    bad[2][10] = "路过"
    bad.append(list(good[0]))  # the same place twice
    bad.append(row(home, "正规颐养院", code=registered.credit_code))
    path = tmp_path / "places.csv"
    write(path, bad)
    before = counts(db)
    code, out = run(capsys, path)
    assert code == 1
    assert "行 2，发现日期：不能晚于今天" in out
    assert "行 3，所在区县：本市没有该区县：火星区" in out
    assert "行 4，发现途径：不是允许的值：路过" in out
    assert "行 5，场所名称：与行 2 是同一场所" in out
    assert f"行 6，统一社会信用代码：已登记为机构“正规颐养院”（编号 {registered.id}），不是未登记场所" in out
    assert "GB18030" in out and counts(db) == before

    write(path, good)
    code, out = run(capsys, path)
    assert code == 0, out
    assert "新增 3" in out
    db.expire_all()
    found = {i.name: i for i in db.scalars(select(Institution).where(
        Institution.discovered_on.is_not(None)))}
    assert {n: (i.filing_status, i.discovered_via, i.discovered_on.isoformat(), i.discovered_by,
                i.kind, i.credit_code) for n, i in found.items()} == {
        "无证托老点甲": ("unregistered", "inspection", "2025-08-08", "区民政局", "residential", None),
        "家庭托老所乙": ("unregistered", "complaint", "2025-09-01", "12345热线", "residential",
                     None),
        "某某养老服务有限公司": ("registered_unfiled", "market_record", "2025-10-08", "区市场监管局",
                       "residential", market_code)}
    after = counts(db)
    assert after[:2] == (before[0] + 3, before[1] + 1) and after[2] >= before[2] + 6
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "registry.imported")).one()
    assert event.object_type == "places" and event.detail["added"] == 3

    code, out = run(capsys, path)  # the same file again
    assert code == 0 and "新增 0" in out and "无变化 3" in out
    assert counts(db) == after

    # 甲 is converted (filed) in the back office; the old list does not take that back.
    first = found["无证托老点甲"]
    first.credit_code, first.filing_status, first.filing_no = a_code(), "filed", "备2025-1"
    db.commit()
    code, out = run(capsys, path)
    assert code == 0 and "无变化 3" in out
    db.expire_all()
    assert db.get(Institution, first.id).filing_status == "filed"


def test_the_template_lists_the_columns_and_a_filled_copy_imports(db, tmp_path, capsys):
    from openpyxl import load_workbook

    home = district(db)
    db.commit()
    out = tmp_path / "places.xlsx"
    assert main(["import", "template", "places", str(out)]) == 0
    book = load_workbook(out)
    assert book.sheetnames == ["未登记场所", "数据字典"]
    header = [c.value for c in book["未登记场所"][1]]
    assert header == [c.header for c in COLUMNS]
    guide = {r[0]: r[1] for r in book["数据字典"].iter_rows(min_row=2, values_only=True)}
    assert guide["发现日期"] == "必填" and guide["统一社会信用代码"] == "选填"
    book["未登记场所"].append(row(home, "模板填写托老点"))
    book.save(out)
    capsys.readouterr()
    code, out_text = run(capsys, out)
    assert code == 0 and "新增 1" in out_text, out_text
