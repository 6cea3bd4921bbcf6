"""`portal init` and `portal import districts|offices|staff` end to end on SQLite and PostgreSQL:
a file with bad rows is reported by row and column and writes nothing; fixed, it imports,
audited once; imported again, nothing changes. `portal init` sets up a city from an empty
database and refuses one that has a city."""

from __future__ import annotations

import copy

from data.city_files import FILES, write_csv, write_xlsx
from sqlalchemy import func, select

from complaints.rules.routing import Rule, route
from complaints.services.reference import reference
from portal.accounts.models import User
from portal.accounts.rules.passwords import verify_password
from portal.accounts.rules.roles import Role
from portal.cli import main
from portal.core.audit import AuditEvent
from portal.orgs.models import Department, District, Street
from portal.orgs.vocab import DEPARTMENT_TYPES

import factories

PASSWORD = "Chief-2026-pass"


def run(capsys, *args) -> tuple[int, str]:
    code = main([*map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def audits(db, action="registry.imported") -> list[tuple[str, dict]]:
    db.rollback()
    return [(e.object_type, e.detail) for e in db.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def counts(db) -> tuple[int, int, int, int]:
    db.rollback()
    return tuple(db.scalar(select(func.count(m.id))) for m in (District, Street, Department, User))


def init(capsys, tmp_path, *files: str) -> tuple[int, str]:
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    args = ["init", "--password-file", tmp_path / "pw"]
    for name in files:
        headers, rows = FILES[name]
        args += [f"--{name}", write_xlsx(tmp_path / f"{name}.xlsx", headers, rows)]
    return run(capsys, *args)


def test_init_without_files_gives_the_sixteen_city_offices_and_an_admin(db, tmp_path, capsys):
    code, out = init(capsys, tmp_path)
    assert code == 0, out
    assert "已建市级部门 16 个" in out
    offices = db.execute(select(Department.type_code, Department.district_id, Department.name)).all()
    assert sorted(t for t, _d, _n in offices) == sorted(DEPARTMENT_TYPES)
    assert {d for _t, d, _n in offices} == {None} and ("civil_affairs", None, "示范市民政局") in offices
    admin = db.scalars(select(User)).one()
    assert (admin.username, admin.role) == ("admin", "admin")
    assert verify_password(admin.password_hash, PASSWORD)
    assert [t for t, _d in audits(db, "city.initialised")] == ["city"]

    code, out = init(capsys, tmp_path)  # a city exists now
    assert code == 2 and "数据库中已有城市数据（区县 0 个、部门 16 个、机构 0 家）" in out
    assert counts(db) == (0, 0, 16, 1)


def test_init_with_the_city_files_routes_every_category(db, tmp_path, capsys):
    code, out = init(capsys, tmp_path, "districts", "offices")
    assert code == 0, out
    assert counts(db) == (2, 5, 6 + 14, 1)
    db.rollback()
    qingxi = db.scalars(select(District).where(District.name == "青溪区")).one()
    assert qingxi.code == "330201"
    assert {(s.name, s.code) for s in qingxi.streets} == {
        ("青溪街道", "330201001"), ("柳塘街道", "330201002"), ("白沙镇", None)}
    # Every active rule routes, in a district with offices of its own and in one without.
    ref = reference(db)
    for info in ref.rules.values():
        for district_id in (qingxi.id, None):
            routing = route(Rule(info.code, info.responsible_type, info.co_handling_types),
                            district_id, ref.offices)
            assert routing.responsible_office in ref.office_names
    service = ref.rules["service_quality"]
    routed = route(Rule("service_quality", service.responsible_type), qingxi.id, ref.offices)
    assert ref.office_names[routed.responsible_office] == "青溪区民政局"
    assert [t for t, _d in audits(db)] == ["districts", "offices"]
    # Listed with the city's imports, as `portal import` would list them.
    from portal.registry.models import Import
    assert [(i.kind, i.status, i.actor, i.added > 0) for i in db.scalars(
        select(Import).order_by(Import.id))] == [("districts", "done", "命令行", True),
                                                  ("offices", "done", "命令行", True)]


def test_init_with_a_bad_file_or_password_writes_nothing(db, tmp_path, capsys):
    saved = copy.deepcopy(FILES["offices"][1])
    FILES["offices"][1].append(["民政局", "石门县", "", ""])
    try:
        code, out = init(capsys, tmp_path, "districts", "offices")
    finally:
        FILES["offices"][1][:] = saved
    assert code == 1 and "行 8，所在区县：本市没有该区县：石门县" in out
    assert counts(db) == (0, 0, 0, 0) and audits(db) == []
    (tmp_path / "pw").write_text("short\n")
    code, out = run(capsys, "init", "--password-file", tmp_path / "pw")
    assert code == 1 and "管理员密码不符合要求" in out
    assert counts(db) == (0, 0, 0, 0)


def test_districts_bad_rows_nothing_written_then_imported_once(db, tmp_path, capsys):
    headers, good = FILES["districts"]
    bad = [list(r) for r in good] + [["云岭县", "330222", "", ""], ["石门县", "", "石门镇", "12"]]
    code, out = run(capsys, "import", "districts", write_csv(tmp_path / "d.csv", headers, bad))
    assert code == 1, out
    assert "行 7，区县代码：与行 5 填写的云岭县代码 330221 不同" in out
    assert "行 8，乡镇（街道）代码：应为9或12位数字：12" in out
    assert "（GB18030）" in out and counts(db)[:2] == (0, 0)

    path = write_xlsx(tmp_path / "d.xlsx", headers, good)
    code, out = run(capsys, "import", "districts", path)
    assert code == 0 and "已写入：新增 5，更新 0，无变化 0" in out
    assert counts(db)[:2] == (2, 5)
    code, out = run(capsys, "import", "districts", path)
    assert code == 0 and "无变化 5" in out and "未写入任何数据" in out
    assert [d["added"] for _t, d in audits(db)] == [5]


def test_offices_bad_rows_nothing_written_then_imported_once(db, tmp_path, capsys):
    headers, rows = FILES["districts"]
    assert main(["import", "districts", str(write_xlsx(tmp_path / "d.xlsx", headers, rows))]) == 0
    headers, good = FILES["offices"]
    bad = [list(r) for r in good] + [["民政局", "青溪区", "", ""], ["公安厅", "", "", ""]]
    code, out = run(capsys, "import", "offices", write_xlsx(tmp_path / "bad.xlsx", headers, bad))
    assert code == 1
    assert "行 8，部门类型：与行 4 重复（青溪区民政局）" in out and "行 9，部门类型：不是允许的值：公安厅" in out
    assert counts(db)[2] == 0

    path = write_xlsx(tmp_path / "o.xlsx", headers, good)
    code, out = run(capsys, "import", "offices", path, "--dry-run")
    assert code == 0 and "可新增 6" in out and counts(db)[2] == 0
    code, out = run(capsys, "import", "offices", path)
    assert code == 0 and "已写入：新增 6" in out
    db.rollback()
    assert db.scalars(select(Department.name).where(Department.district_id.is_not(None))).all() \
        and db.scalar(select(Department.phone).where(Department.name == "示范市民政局")) == "0571-87000001"
    code, out = run(capsys, "import", "offices", path)
    assert "无变化 6" in out and counts(db)[2] == 6
    assert [t for t, _d in audits(db)] == ["districts", "offices"]


def test_staff_bad_rows_nothing_written_then_imported_once_with_initial_passwords(
        db, tmp_path, capsys):
    for name in ("districts", "offices"):
        headers, rows = FILES[name]
        assert main(["import", name, str(write_xlsx(tmp_path / f"{name}.xlsx", headers, rows))]) == 0
    headers, good = FILES["staff"]
    bad = [list(r) for r in good] + [["zuoxi1", "重复", "热线坐席", "", "", ""],
                                      ["x2", "乙", "部门经办人", "石门县民政局", "", ""]]
    code, out = run(capsys, "import", "staff", write_xlsx(tmp_path / "bad.xlsx", headers, bad))
    assert code == 1 and "行 6，登录名：与行 5 重复" in out and "行 7，所属部门：本市没有该部门：石门县民政局" in out
    assert counts(db)[3] == 0 and "初始密码" not in out

    path = write_xlsx(tmp_path / "s.xlsx", headers, good)
    code, out = run(capsys, "import", "staff", path, "--user", "")
    assert code == 0 and "已写入：新增 4" in out
    passwords = dict(line.removeprefix("新账号 ").split("（")[0:1] + [line.rsplit("：", 1)[1]]
                     for line in out.splitlines() if line.startswith("新账号 "))
    assert sorted(passwords) == ["qx-minzheng", "qx-shijian", "shi-duban", "zuoxi1"]
    db.rollback()
    users = {u.username: u for u in db.scalars(select(User))}
    for login, password in passwords.items():
        assert verify_password(users[login].password_hash, password)
        assert users[login].must_change_password  # the printed password is changed at sign-in
    assert users["qx-minzheng"].department.name == "青溪区民政局"
    assert users["shi-duban"].role == "supervisor" and users["zuoxi1"].department_id is None

    hashes = {u.username: u.password_hash for u in users.values()}
    code, out = run(capsys, "import", "staff", path)
    assert code == 0 and "无变化 4" in out and "初始密码" not in out
    changed = [list(r) for r in good]
    changed[3][5] = "否"  # zuoxi1 leaves
    code, out = run(capsys, "import", "staff", write_xlsx(tmp_path / "s2.xlsx", headers, changed))
    assert code == 0 and "更新 1，无变化 3" in out
    db.rollback()
    assert {u.username: u.password_hash for u in db.scalars(select(User))} == hashes
    assert db.scalar(select(User.is_active).where(User.username == "zuoxi1")) is False
    events = [d for t, d in audits(db) if t == "staff"]
    assert [d["updated"] for d in events] == [0, 1]
    assert events[0]["accounts_added"] == {"qx-minzheng": "department", "qx-shijian": "department",
                                           "shi-duban": "supervisor", "zuoxi1": "operator"}
    assert events[1]["accounts_changed"] == {"zuoxi1": ["is_active"]}
    assert not any(p in str(events) for p in passwords.values())


def test_whole_file_imports_are_recorded_but_cannot_be_rolled_back(db, tmp_path, capsys):
    """districts, offices, places and staff keep no before-values: their runs are in the
    imports table (/admin/imports lists them), and rollback refuses them with the reason."""
    from portal.registry.models import Import
    from portal.registry.rules.rollback import NOT_UNDOABLE

    headers, rows = FILES["districts"]
    path = write_xlsx(tmp_path / "d.xlsx", headers, rows)
    code, out = run(capsys, "import", "districts", path, "--dry-run")
    assert code == 0 and counts(db)[:2] == (0, 0)
    code, out = run(capsys, "import", "districts", path)
    assert code == 0 and "导入记录：#" in out
    db.rollback()
    records = db.scalars(select(Import).order_by(Import.id)).all()
    assert [(r.kind, r.mode, r.status, r.actor) for r in records[:2]] == [
        ("districts", "dry_run", "checked", "命令行"), ("districts", "import", "done", "命令行")]
    assert (records[1].added, records[1].rows_total) == (5, 5)
    assert any("新增 5" in line for line in records[1].report["summary"])
    factories.user(db, Role.ADMIN, "chief")
    db.commit()
    code, out = run(capsys, "import", "rollback", records[1].id, "--user", "chief")
    assert code == 1 and NOT_UNDOABLE in out
    assert counts(db)[:2] == (2, 5)


def test_every_kind_has_a_template_with_a_data_dictionary(db, tmp_path, capsys):
    from openpyxl import load_workbook

    for name, (headers, _rows) in FILES.items():
        out = tmp_path / f"{name}.xlsx"
        assert main(["import", "template", name, str(out)]) == 0
        book = load_workbook(out)
        header = [c.value for c in book.worksheets[0][1]]
        assert set(headers) <= set(header), name  # the test city's files use template headers
        assert book["数据字典"].max_row >= len(header) + 1


def test_init_prompts_for_the_password_twice(db, capsys, monkeypatch):
    answers = iter(["Qingxi-2026-pass", "Qingxi-2026-typo"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(answers))
    try:
        main(["init"])
    except SystemExit as exc:
        assert "两次输入的密码不一致" in str(exc)
    else:
        raise AssertionError("a mistyped confirmation must stop init")
    assert counts(db) == (0, 0, 0, 0)
    answers = iter(["Qingxi-2026-pass"] * 2)
    code, out = run(capsys, "init")
    assert code == 0, out
    assert verify_password(db.scalars(select(User.password_hash)).one(), "Qingxi-2026-pass")


def test_offices_import_leaves_street_offices_alone(db, tmp_path, capsys):
    """A street office has no district_id (its street gives it one), so keyed by (type, district)
    it would look like the city office of its type: the import must neither match nor rename it."""
    headers, rows = FILES["districts"]
    assert main(["import", "districts", str(write_xlsx(tmp_path / "d.xlsx", headers, rows))]) == 0
    db.rollback()
    town = db.scalars(select(Street).order_by(Street.id)).first()
    kept = factories.street_office(db, town, "civil_affairs")
    name = kept.name
    db.commit()
    headers, good = FILES["offices"]
    code, out = run(capsys, "import", "offices", write_xlsx(tmp_path / "o.xlsx", headers, good))
    assert code == 0 and "已写入：新增 6" in out
    db.rollback()
    assert db.get(Department, kept.id).name == name
    assert db.scalar(select(Department.id).where(Department.name == "示范市民政局")) not in (None, kept.id)
