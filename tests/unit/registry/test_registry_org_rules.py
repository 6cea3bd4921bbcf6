"""The pure rules of the districts, offices and staff imports: each cell and row checked, the
natural keys, duplicates in the file and against what is stored, and what a row changes."""

from __future__ import annotations

import pytest

from portal.registry.rules import cells, districts, imports, offices, staff


def rows(*data):
    return list(enumerate(data, start=2))


# ---- districts ---------------------------------------------------------------------------

D_HEADERS = ["区县名称", "区县代码", "乡镇（街道）名称", "乡镇（街道）代码"]
STORED_D = {"青溪区": districts.StoredDistrict(1, "330201", {"青溪街道": (11, "330201001"),
                                                            "白沙镇": (12, None)})}


def plan_d(*data, stored=STORED_D):
    headers = imports.map_headers(D_HEADERS, districts.COLUMNS)
    return districts.plan(headers, rows(*data), stored)


def lines(plan) -> list[str]:
    return [p.line() for p in plan.problems]


def test_a_new_district_with_its_streets_is_added_once():
    plan = plan_d(["云岭县", "330221", "云岭镇", "330221100"], ["云岭县", "", "松岗乡", ""],
                  ["云岭县", "", "", ""])
    assert lines(plan) == []
    assert plan.new_districts == [{"name": "云岭县", "code": "330221"}]
    assert plan.new_streets == [{"district": "云岭县", "name": "云岭镇", "code": "330221100"},
                                {"district": "云岭县", "name": "松岗乡", "code": None}]
    assert (plan.added, plan.updated, plan.unchanged) == (2, 0, 1)


def test_stored_districts_and_streets_unchanged_when_blank_or_equal():
    plan = plan_d(["青溪区", "", "青溪街道", ""], ["青溪区", "330201", "白沙镇", ""])
    assert lines(plan) == [] and (plan.added, plan.updated, plan.unchanged) == (0, 0, 2)


def test_a_street_code_given_later_is_an_update():
    plan = plan_d(["青溪区", "", "白沙镇", "330201003"])
    assert plan.street_codes == [{"id": 12, "code": "330201003"}] and plan.updated == 1


def test_a_new_district_needs_its_code_somewhere_in_the_file():
    plan = plan_d(["云岭县", "", "云岭镇", ""], ["云岭县", "", "松岗乡", ""])
    assert lines(plan) == ["行 2，区县代码：云岭县是新区县，须在文件中填写其6位行政区划代码",
                           "行 3，区县代码：云岭县是新区县，须在文件中填写其6位行政区划代码"]
    assert plan.new_districts == [] and plan.bad_rows == {2, 3}


@pytest.mark.parametrize("data, expected", [
    ([["云岭县", "33022", "", ""]], "行 2，区县代码：应为6位数字：33022"),
    ([["云岭县", "330221", "", ""], ["云岭县", "330222", "", ""]],
     "行 3，区县代码：与行 2 填写的云岭县代码 330221 不同"),
    ([["云岭县", "330221", "", ""], ["石门县", "330221", "", ""]],
     "行 3，区县代码：与行 2 的云岭县代码相同"),
    ([["云岭县", "330201", "", ""]], "行 2，区县代码：该代码已属于本市的青溪区"),
    ([["青溪区", "", "柳塘街道", ""], ["青溪区", "", "柳塘街道", ""]],
     "行 3，乡镇（街道）名称：与行 2 重复"),
    ([["青溪区", "", "", "330201009"]],
     "行 2，乡镇（街道）代码：填写乡镇（街道）代码时须同时填写乡镇（街道）名称"),
    ([["青溪区", "", "柳塘街道", "330201001"]], "行 2，乡镇（街道）代码：该代码已属于青溪区青溪街道"),
    ([["青溪区", "", "柳塘街道", "3302"]], "行 2，乡镇（街道）代码：应为9或12位数字：3302"),
    ([["", "330221", "云岭镇", ""]], "行 2，区县名称：必填，不能为空"),
])
def test_bad_district_rows_are_reported_by_row_and_column(data, expected):
    plan = plan_d(*data)
    assert expected in lines(plan)
    assert int(expected.split("，")[0].removeprefix("行 ")) in plan.bad_rows


def test_district_header_problems_stop_before_the_rows():
    headers = imports.map_headers(["区县代码", "街道"], districts.COLUMNS)
    plan = districts.plan(headers, rows(["330221", "云岭镇"]), STORED_D)
    assert lines(plan) == ["表头，区县名称：缺少必填列"] and plan.total == 0


def test_numeric_code_cells_keep_their_digits():
    assert cells.digits(6)(330221.0) == "330221"
    assert cells.digits(9, 12)(330221100001.0) == "330221100001"
    with pytest.raises(cells.CellError):
        cells.digits(6)("３３０２２１")  # full-width digits are not the code


# ---- offices -----------------------------------------------------------------------------

O_HEADERS = ["部门类型", "所在区县", "部门名称", "联系电话"]
STORED_O = {("civil_affairs", None): offices.StoredOffice(1, "示范市民政局", ""),
            ("civil_affairs", 7): offices.StoredOffice(2, "青溪区民政局", "0571-1")}


def plan_o(*data, stored=STORED_O):
    headers = imports.map_headers(O_HEADERS, offices.COLUMNS)
    return offices.plan(headers, rows(*data), city="示范市", districts={"青溪区": 7},
                        stored=stored)


def test_offices_get_their_usual_names_and_are_keyed_by_type_and_district():
    plan = plan_o(["市场监督管理局", "", "", ""], ["消防救援大队", "青溪区", "", "119"],
                  ["fire_rescue", "市级", "", ""], ["民政局", "青溪区", "", "0571-1"])
    assert lines(plan) == []
    assert plan.new_offices == [
        {"type_code": "market_regulation", "district_id": None, "name": "示范市市场监督管理局",
         "phone": ""},
        {"type_code": "fire_rescue", "district_id": 7, "name": "青溪区消防救援大队", "phone": "119"},
        {"type_code": "fire_rescue", "district_id": None, "name": "示范市消防救援支队", "phone": ""}]
    assert (plan.added, plan.updated, plan.unchanged) == (3, 0, 1)


def test_a_stored_office_keeps_its_name_unless_the_file_gives_one():
    plan = plan_o(["民政局", "", "", "0571-9"], ["民政局", "青溪区", "青溪区民政局（本部）", ""])
    assert plan.changed == [{"id": 1, "phone": "0571-9"}, {"id": 2, "name": "青溪区民政局（本部）"}]
    assert plan.updated == 2


@pytest.mark.parametrize("data, expected", [
    ([["民政所", "", "", ""]], "行 2，部门类型：不是允许的值：民政所"),
    ([["民政局", "石门县", "", ""]], "行 2，所在区县：本市没有该区县：石门县"),
    ([["教育局", "", "", ""], ["education", "市本级", "", ""]], "行 3，部门类型：与行 2 重复（市级教育局）"),
    ([["教育局", "", "青溪区民政局", ""]], "行 2，部门名称：本市已有同名的另一个部门：青溪区民政局"),
    ([["教育局", "", "示范市教育和体育局", ""], ["财政局", "", "示范市教育和体育局", ""]],
     "行 3，部门名称：与行 2 的部门同名：示范市教育和体育局"),
])
def test_bad_office_rows_are_reported_by_row_and_column(data, expected):
    plan = plan_o(*data)
    assert any(line.startswith(expected) for line in lines(plan)), lines(plan)
    assert len(plan.new_offices) == plan.total - len(plan.bad_rows)


# ---- staff -------------------------------------------------------------------------------

S_HEADERS = ["登录名", "姓名", "角色", "所属部门", "电子邮箱", "是否启用", "密码"]
STORED_S = {"qx-mz": staff.StoredUser(5, "张三", "department", 2, "", True),
            "inst-1": staff.StoredUser(6, "机构", "institution", None, "", True)}
OFFICES = {"示范市民政局": 1, "青溪区民政局": 2}


def plan_s(*data, stored=STORED_S):
    headers = imports.map_headers(S_HEADERS, staff.COLUMNS)
    assert headers.ignored == ["密码"]  # never read: a password column is reported, not kept
    return staff.plan(headers, rows(*data), offices=OFFICES, stored=stored)


def test_new_staff_accounts_and_unchanged_ones():
    plan = plan_s(["zuoxi1", "坐席一", "热线坐席", "示范市民政局", "", "", "secret"],
                  ["duban", "督办", "supervisor", "示范市民政局", "d@example.cn", "否", ""],
                  ["qx-mz", "张三", "部门经办人", "青溪区民政局", "", "", ""])
    assert lines(plan) == []
    assert plan.new_users == [
        {"username": "zuoxi1", "display_name": "坐席一", "role": "operator",
         "department_id": None, "email": "", "is_active": True},
        {"username": "duban", "display_name": "督办", "role": "supervisor", "department_id": 1,
         "email": "d@example.cn", "is_active": False}]
    assert (plan.added, plan.updated, plan.unchanged) == (2, 0, 1)
    assert "secret" not in repr(plan)


def test_a_stored_account_changes_only_what_the_row_changes():
    plan = plan_s(["qx-mz", "张三丰", "民政督办", "示范市民政局", "", "否", ""])
    assert plan.changed == [{"id": 5, "username": "qx-mz", "display_name": "张三丰",
                             "role": "supervisor", "department_id": 1, "is_active": False}]


@pytest.mark.parametrize("data, expected", [
    ([["a b", "甲", "热线坐席", "", "", "", ""]], "行 2，登录名：登录名应为"),
    ([["x1", "甲", "机构账号", "", "", "", ""]], "行 2，角色：不是允许的值：机构账号"),
    ([["x1", "甲", "部门经办人", "", "", "", ""]], "行 2，所属部门：部门经办人必须填写所属部门"),
    ([["x1", "甲", "部门经办人", "石门县民政局", "", "", ""]], "行 2，所属部门：本市没有该部门"),
    ([["x1", "甲", "热线坐席", "", "not-an-email", "", ""]], "行 2，电子邮箱：电子邮箱格式不正确"),
    ([["x1", "甲", "热线坐席", "", "", "", ""], ["X1", "乙", "热线坐席", "", "", "", ""]],
     "行 3，登录名：与行 2 重复"),
    ([["inst-1", "甲", "热线坐席", "", "", "", ""]], "行 2，登录名：该登录名是机构账号"),
])
def test_bad_staff_rows_are_reported_by_row_and_column(data, expected):
    plan = plan_s(*data)
    assert any(line.startswith(expected) for line in lines(plan)), lines(plan)
    assert int(expected.split("，")[0].removeprefix("行 ")) in plan.bad_rows
    assert len(plan.new_users) + len(plan.changed) == plan.total - len(plan.bad_rows)


def test_every_kind_names_a_runner_that_exists():
    import importlib

    from portal.registry.kinds import KINDS, UPLOADABLE, undoable
    from portal.registry.services.running import WholeKind

    assert list(KINDS) == ["institutions", "grades", "inspections", "penalties", "credit",
                           "districts", "offices", "places", "staff"]
    whole = [kind for kind in KINDS.values() if isinstance(kind, WholeKind)]
    assert [kind.code for kind in whole] == ["districts", "offices", "places", "staff"]
    for kind in whole:
        module, name = kind.runner.split(":")
        assert callable(getattr(importlib.import_module(module), name))
        assert not undoable(kind.code)
    assert undoable("institutions") and undoable("penalties")
    assert "staff" not in UPLOADABLE and "places" in UPLOADABLE


def test_initial_passwords_pass_the_password_rules_and_differ():
    from portal.accounts.rules.passwords import initial_password, password_problems

    made = {initial_password("abcd") for _ in range(200)}
    assert len(made) == 200
    assert all(password_problems(p, "abcd") == [] and len(p) == 14 for p in made)
