"""A small city as its offices would hand it over, for `portal init` and the imports' tests:
districts with streets, offices, staff and institutions, as rows under the templates' Chinese
headers. The workbooks in tests/data/city/ are these rows (`python tests/data/city_files.py`
writes them again); the browser test imports those files."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from portal.institutions.rules import creditcode

HERE = Path(__file__).resolve().parent / "city"

DISTRICT_HEADERS = ["区县名称", "区县代码", "乡镇（街道）名称", "乡镇（街道）代码"]
DISTRICTS: list[list[Any]] = [
    ["青溪区", "330201", "青溪街道", "330201001"],
    ["青溪区", "330201", "柳塘街道", "330201002"],
    ["青溪区", "", "白沙镇", ""],
    ["云岭县", "330221", "云岭镇", "330221100"],
    ["云岭县", "", "松岗乡", ""],
]

OFFICE_HEADERS = ["部门类型", "所在区县", "部门名称", "联系电话"]
OFFICES: list[list[Any]] = [
    ["民政局", "", "", "0571-87000001"],
    ["市场监督管理局", "市级", "", "0571-87000002"],
    ["民政局", "青溪区", "", "0571-86000001"],
    ["市场监督管理局", "青溪区", "", "0571-86000002"],
    ["消防救援大队", "青溪区", "", ""],
    ["civil_affairs", "云岭县", "云岭县民政局", "0571-85000001"],
]

STAFF_HEADERS = ["登录名", "姓名", "角色", "所属部门", "电子邮箱", "是否启用"]
STAFF: list[list[Any]] = [
    ["qx-minzheng", "青溪区民政局经办人", "部门经办人", "青溪区民政局", "", "是"],
    ["qx-shijian", "青溪区市场监管经办人", "部门经办人", "青溪区市场监督管理局", "", ""],
    ["shi-duban", "市民政局督办员", "民政督办", "示范市民政局", "duban@example.invalid", ""],
    ["zuoxi1", "热线坐席一", "热线坐席", "", "", ""],
]

INSTITUTION_HEADERS = ["机构名称", "统一社会信用代码", "机构类型", "机构性质", "床位数", "空余床位数",
                       "所在区县", "乡镇（街道）", "地址", "联系电话", "备案号", "备案日期"]


def _codes(n: int) -> list[str]:
    rng = random.Random(2026)
    return [creditcode.generate(rng, registration_dept="5", org_type="2", region_code="330201")
            for _ in range(n)]


_C = _codes(5)
INSTITUTIONS: list[list[Any]] = [
    ["青溪柳塘颐养院", _C[0], "养老机构", "民办非营利", 120, 12, "青溪区", "柳塘街道",
     "青溪区柳塘路18号", "0571-86100001", "备330201001", "2024-03-01"],
    ["青溪区社会福利中心", _C[1], "养老机构", "公办", 300, 30, "青溪区", "青溪街道",
     "青溪区府前街1号", "0571-86100002", "备330201002", "2023/05/10"],
    ["白沙镇敬老院", _C[2], "养老机构", "公办", 60, 5, "青溪区", "白沙镇",
     "白沙镇中心街8号", "", "", ""],
    ["云岭松风老年公寓", _C[3], "养老机构", "民办营利", 80, 20, "云岭县", "云岭镇",
     "云岭镇松风路6号", "0571-85100001", "备330221001", "2022年7月1日"],
    ["松岗乡日间照料中心", _C[4], "居家社区养老服务机构", "公建民营", 0, 0, "云岭县", "松岗乡",
     "松岗乡政府旁", "", "", ""],
]

FILES = {
    "districts": (DISTRICT_HEADERS, DISTRICTS),
    "offices": (OFFICE_HEADERS, OFFICES),
    "staff": (STAFF_HEADERS, STAFF),
    "institutions": (INSTITUTION_HEADERS, INSTITUTIONS),
}


def write_xlsx(path: Path, headers: list[str], rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, headers: list[str], rows: list[list[Any]],
              encoding: str = "gb18030") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for name, (headers, rows) in FILES.items():
        print(write_xlsx(HERE / f"{name}.xlsx", headers, rows))
