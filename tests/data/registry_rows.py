"""A deterministic institution registry as a city would export it, for the import's tests and
bench (bench/registry_import.py): rows in the template's column order, a way to spoil a few
percent of them in every way the import must catch, and writers for XLSX and CSV."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from portal.institutions import vocab
from portal.institutions.rules import creditcode
from portal.registry.rules.imports import COLUMNS

HEADERS = [column.header for column in COLUMNS] + ["登记机关", "备案机关"]
_AT = {header: i for i, header in enumerate(HEADERS)}
_WORDS = "福寿康宁颐和安乐松鹤夕阳红晚晴长青慈恩仁爱祥瑞泰和永安"


def city(districts: int = 3, streets: int = 4) -> list[tuple[str, list[str]]]:
    """The districts and streets the rows use (create them in the database first)."""
    names = ["南湖区", "北山区", "东城区", "西岭县", "中河区", "云台县"][:districts]
    return [(d, [f"{d[:-1]}{n}街道" for n in "一二三四五六"[:streets]]) for d in names]


def rows(n: int, seed: int = 20, places: list[tuple[str, list[str]]] | None = None
         ) -> list[list[Any]]:
    rng = random.Random(seed)
    places = places or city()
    kinds, natures = list(vocab.KINDS.values()), list(vocab.NATURES.values())
    out = []
    for i in range(n):
        district, streets = places[i % len(places)]
        code = creditcode.generate(rng, registration_dept=rng.choice("59"),
                                   org_type="2" if rng.random() < 0.5 else "1",
                                   region_code="330102")
        registered = date(2005, 1, 1) + timedelta(days=rng.randrange(7000))
        filed = rng.random() < 0.8
        beds = rng.randrange(0, 400)
        row: dict[str, Any] = {
            "机构名称": f"{district}{''.join(rng.sample(_WORDS, 3))}养老服务中心{i}",
            "统一社会信用代码": code,
            "登记证号": f"登{i:06d}",
            # The three written forms and an Excel date cell, as offices mix them.
            "登记日期": [registered.isoformat(), registered.strftime("%Y/%m/%d"),
                     f"{registered.year}年{registered.month}月{registered.day}日",
                     datetime(registered.year, registered.month, registered.day)][i % 4],
            "备案号": f"备{i:06d}" if filed else "",
            "备案日期": (registered + timedelta(days=90)).isoformat() if filed else "",
            "备案状态": "",
            "机构类型": kinds[i % len(kinds)],
            "机构性质": natures[rng.randrange(len(natures))],
            "床位数": beds,
            "空余床位数": rng.randrange(0, beds + 1),
            "所在区县": district,
            "乡镇（街道）": rng.choice(streets + [""]),
            "地址": f"{district}幸福路{i}号",
            "法定代表人": "张" + rng.choice("伟芳娜敏静丽强磊"),
            "联系电话": f"0571-{rng.randrange(10**7, 10**8)}",
            "开业年份": registered.year,
            "收住自理老人": "是",
            "收住轻度失能老人": rng.choice(["是", "否"]),
            "收住中重度失能老人": rng.choice(["是", "否"]),
            "医养结合": rng.choice(["是", "否"]),
            "内设医疗机构": "否",
            "医保定点": "否",
            # WGS-84, every fifth row without (issue 21); not from `rng`, so adding the
            # columns changed none of the other values.
            "纬度": round(30.2 + (i % 97) * 0.002, 6) if i % 5 else "",
            "经度": f"{120.1 + (i % 89) * 0.002:.6f}" if i % 5 else "",
            "登记机关": "民政局",
            "备案机关": "民政局",
        }
        out.append([row[header] for header in HEADERS])
    return out


@dataclass(frozen=True)
class Spoiled:
    """A row made bad on purpose: its spreadsheet row number and the column that is wrong."""

    row: int
    column: str
    kind: str


def spoil(data: list[list[Any]], every: int = 25, seed: int = 7) -> list[Spoiled]:
    """Spoil one row in `every` (4 % by default), rotating through the kinds of bad cell;
    returns what was spoiled (row numbers as the spreadsheet shows them: data starts at 2)."""
    rng = random.Random(seed)
    kinds = ("check_digit", "unknown_street", "duplicate_code", "bad_date", "bad_beds",
             "unknown_kind", "missing_name")
    spoiled = []
    for n, index in enumerate(range(every // 2, len(data), every)):
        kind = kinds[n % len(kinds)]
        row = data[index]
        if kind == "check_digit":
            code = row[_AT["统一社会信用代码"]]
            wrong = creditcode.ALPHABET[(creditcode.ALPHABET.index(code[-1]) + 1) % 31]
            row[_AT["统一社会信用代码"]], column = code[:-1] + wrong, "统一社会信用代码"
        elif kind == "unknown_street":
            row[_AT["乡镇（街道）"]], column = "不存在街道", "乡镇（街道）"
        elif kind == "duplicate_code":
            row[_AT["统一社会信用代码"]] = data[index - 1][_AT["统一社会信用代码"]]
            column = "统一社会信用代码"
        elif kind == "bad_date":
            row[_AT["登记日期"]] = rng.choice(["2021-02-30", "2021.3.4", "去年"])
            column = "登记日期"
        elif kind == "bad_beds":
            row[_AT["床位数"]], column = "-5", "床位数"
        elif kind == "unknown_kind":
            row[_AT["机构类型"]], column = "敬老院之家", "机构类型"
        else:
            row[_AT["机构名称"]], column = "", "机构名称"
        spoiled.append(Spoiled(index + 2, column, kind))
    return spoiled


def write_xlsx(path: Path, data: list[list[Any]]) -> Path:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("养老机构")
    sheet.append(HEADERS)
    for row in data:
        sheet.append(row)
    book.save(path)
    return path


def write_xls(path: Path, data: list[list[Any]]) -> Path:
    """An Excel 97–2003 workbook (xlwt), as older office systems export; datetimes as date cells."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("养老机构")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for c, header in enumerate(HEADERS):
        sheet.write(0, c, header)
    for r, row in enumerate(data, start=1):
        for c, cell in enumerate(row):
            if isinstance(cell, datetime):
                sheet.write(r, c, cell, dated)
            elif cell is not None:
                sheet.write(r, c, cell)
    book.save(str(path))
    return path


def write_csv(path: Path, data: list[list[Any]], encoding: str = "gb18030") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for row in data:
            writer.writerow([cell.strftime("%Y/%m/%d") if isinstance(cell, datetime) else cell
                             for cell in row])
    return path


def make_city(db) -> dict[str, int]:
    """The districts and streets of `city()` in the database: {district name: id}."""
    from portal.orgs.models import District, Street

    ids = {}
    for n, (name, streets) in enumerate(city()):
        district = District(code=f"33019{n}", name=name)
        db.add(district)
        db.flush()
        ids[name] = district.id
        db.add_all(Street(district_id=district.id, name=street) for street in streets)
    db.commit()
    return ids
