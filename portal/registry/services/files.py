"""The files of an import: reading a workbook or CSV export into rows of cell values, and
writing the per-row report and a kind's template (a header row and a 数据字典 sheet)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from python_calamine import CalamineError, CalamineWorkbook

from portal.core.exports import Sheet, write_xlsx
from portal.registry.rules import imports, report

# Workbooks python-calamine reads: Excel 2007+ and Excel 97–2003 (.xls, which older office
# systems still export); and CSV.
WORKBOOKS = (".xlsx", ".xlsm", ".xls")
SUFFIXES = (*WORKBOOKS, ".csv")
ACCEPTED = "请用 .xlsx、.xls 或 .csv"


class ImportFileError(Exception):
    """A file that cannot be read at all (not its rows): the message is for the user."""


@dataclass
class Table:
    headers: tuple[Any, ...]
    rows: Iterator[tuple[int, tuple[Any, ...]]]
    encoding: str
    total: int = 0  # data rows below the header (blank ones included): the progress's total


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV export and what it was: UTF-8 (with or without BOM) tried strictly
    first, else GB18030 (which Chinese office software writes as "ANSI")."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "UTF-8（带 BOM）"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"无法识别文件编码（既不是 UTF-8 也不是 GB18030）：{exc}") from None


def _csv_rows(text: str) -> Iterator[tuple[Any, ...]]:
    """A damaged CSV found part-way through is an error of the file, not a crash."""
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            yield tuple(row)
    except csv.Error as exc:
        raise ImportFileError(f"CSV 文件无法读取：{exc}") from None


def _xlsx_rows(path: Path) -> tuple[Iterator[tuple[Any, ...]], int]:
    """The first sheet's rows (python-calamine: the Rust calamine reader) and how many there
    are. Row numbers are kept (leading blank rows come as blank rows); a blank cell is "", a
    date cell a date or datetime, a number a float, an error cell (#N/A) ""."""
    try:
        with CalamineWorkbook.from_path(path) as book:
            if not book.sheet_names:
                raise ImportFileError("工作簿中没有工作表")
            sheet = book.get_sheet_by_index(0)
    except CalamineError as exc:
        raise ImportFileError(f"不是有效的 Excel 文件（.xlsx 或 .xls），或文件已损坏：{exc}") from None
    return (tuple(row) for row in sheet.iter_rows()), sheet.height


def read_table(path: Path) -> Table:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text, encoding = decode(path.read_bytes())
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        rows = _csv_rows(text)
        return Table(next(rows, ()), enumerate(rows, start=2), encoding, max(0, lines - 1))
    if suffix in WORKBOOKS:
        rows, height = _xlsx_rows(path)
        return Table(next(rows, ()), enumerate(rows, start=2), suffix[1:].upper(),
                     max(0, height - 1))
    raise ImportFileError(f"不支持的文件类型：{path.suffix or '无扩展名'}（{ACCEPTED}）")


def write_report(problems: list[imports.Problem], out: Path) -> None:
    """The per-row report as XLSX or CSV (UTF-8 with BOM, which Excel opens correctly)."""
    rows = report.report_rows(problems)
    if out.suffix.lower() == ".csv":
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(report.REPORT_HEADER)
            writer.writerows(rows)
        return
    write_xlsx(out, [report_sheet(rows)])


def report_sheet(rows: Iterable[tuple[int, str, str]]) -> Sheet:
    """The report's one sheet (the CLI's --report and the back office's download)."""
    return Sheet("检查结果", report.REPORT_HEADER, rows, widths=(8, 24, 80))


def template_book(sheet_title: str, columns: tuple[imports.Column, ...],
                  not_kept: tuple[str, ...] = ()) -> Workbook:
    """A kind's template: a header row of its columns (text cells) and a 数据字典 sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title
    sheet.append([column.header for column in columns])
    for cell in sheet[1]:
        cell.number_format = "@"
    guide = book.create_sheet("数据字典")
    guide.append(["列名", "是否必填", "格式", "允许的值", "也接受的列名"])
    for column in columns:
        guide.append([column.header, "必填" if column.required else "选填", column.fmt,
                      column.allowed, "、".join(column.aliases)])
    for name in not_kept:
        guide.append([name, "选填", "文本", "", "可保留在文件中，本平台不保存"])
    return book
