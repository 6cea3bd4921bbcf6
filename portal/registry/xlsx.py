"""Rows of an XLSX workbook's first sheet as cell values, streamed.

openpyxl's read-only reader builds a cell object through its descriptors for every cell:
reading a generated 5,000-row, 25-column registry took 3.2 s of the import's ≈ 4 s on the
shared machine, this reader 0.8 s (bench/registry_import.py). It reads the sheet's XML with
the C ElementTree parser and decodes values as openpyxl does, with openpyxl's own helpers for
what needs knowledge of the format (which number formats are dates, Excel's day numbers).
Values: str, int, float, bool, datetime (a date-formatted number), None for a blank cell.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import iterparse  # noqa: S405 (see _parse)

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_C, _V, _T, _IS, _ROW, _SI, _RPH = (_MAIN + tag for tag in ("c", "v", "t", "is", "row", "si",
                                                               "rPh"))


class WorkbookError(ValueError):
    """Not a workbook this reader understands (the message is for the user)."""


def _parse(fh: IO[bytes], events: tuple[str, ...] = ("end",)):
    """The standard library's expat refuses entity-expansion attacks (expat ≥ 2.4.1, bundled
    with Python 3.11), and openpyxl reads workbooks with the same parser."""
    return iterparse(fh, events=events)  # noqa: S314 (see the import)


def _text(element) -> str:
    """A string item's text: its runs' <t>, without phonetic guides (<rPh>)."""
    if len(element) == 1 and element[0].tag == _T:  # the usual <t>…</t> alone
        return element[0].text or ""
    parts = []
    for child in element:
        if child.tag == _T:
            parts.append(child.text or "")
        elif child.tag != _RPH:
            parts.extend(t.text or "" for t in child.iter(_T))
    return "".join(parts)


def _first_sheet(book: zipfile.ZipFile) -> tuple[str, bool]:
    """The first sheet's part name and whether the workbook counts days from 1904."""
    with book.open("xl/workbook.xml") as fh:
        rel_id, date1904 = None, False
        for _, el in _parse(fh):
            if el.tag == _MAIN + "sheet" and rel_id is None:
                rel_id = el.get(_REL + "id")
            elif el.tag == _MAIN + "workbookPr":
                date1904 = el.get("date1904") in ("1", "true")
    if rel_id is None:
        raise WorkbookError("工作簿中没有工作表")
    with book.open("xl/_rels/workbook.xml.rels") as fh:
        for _, el in _parse(fh):
            if el.tag == _PKG_REL + "Relationship" and el.get("Id") == rel_id:
                target = el.get("Target", "")
                if target.startswith("/"):
                    return target.lstrip("/"), date1904
                return posixpath.normpath(posixpath.join("xl", target)), date1904
    raise WorkbookError("找不到第一个工作表")


def _shared_strings(book: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    strings = []
    with book.open("xl/sharedStrings.xml") as fh:
        for _, el in _parse(fh):
            if el.tag == _SI:
                strings.append(_text(el))
                el.clear()
    return strings


def _date_styles(book: zipfile.ZipFile) -> set[int]:
    """Indexes of the cell formats (cellXfs) whose number format shows a date."""
    if "xl/styles.xml" not in book.namelist():
        return set()
    custom: dict[int, str] = {}
    dates: set[int] = set()
    with book.open("xl/styles.xml") as fh:
        in_xfs, index = False, 0
        for event, el in _parse(fh, ("start", "end")):
            if event == "start":
                if el.tag == _MAIN + "cellXfs":
                    in_xfs = True
                continue
            if el.tag == _MAIN + "numFmt":
                custom[int(el.get("numFmtId", "0"))] = el.get("formatCode", "")
            elif el.tag == _MAIN + "cellXfs":
                in_xfs = False
            elif el.tag == _MAIN + "xf" and in_xfs:
                fmt_id = int(el.get("numFmtId", "0"))
                code = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id, "General")
                if is_date_format(code):
                    dates.add(index)
                index += 1
    return dates


_COLUMNS: dict[str, int] = {}


def _column(ref: str) -> int:
    """The 0-based column of a cell reference such as "AB12"."""
    letters = ref.rstrip("0123456789")
    number = _COLUMNS.get(letters)
    if number is None:
        number = 0
        for ch in letters:
            number = number * 26 + ord(ch) - 64
        number = _COLUMNS[letters] = number - 1
    return number


def _number(raw: str) -> int | float:
    if "." in raw or "E" in raw or "e" in raw:
        value = float(raw)
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    return int(raw)


def read_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    """Every row of the first sheet, blank rows between included, as tuples of values."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookError(f"不是有效的 Excel（.xlsx）文件：{exc}") from None
    with book:
        try:
            sheet, date1904 = _first_sheet(book)
            strings = _shared_strings(book)
            dates = _date_styles(book)
        except KeyError as exc:
            raise WorkbookError(f"Excel 文件缺少部分内容：{exc}") from None
        epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        with book.open(sheet) as fh:
            yield from _sheet_rows(fh, strings, dates, epoch)


def _sheet_rows(fh: IO[bytes], strings: list[str], dates: set[int],
                epoch) -> Iterator[tuple[Any, ...]]:
    row: list[Any] = []
    last = 0  # the row number last given
    for _, el in _parse(fh):
        tag = el.tag
        if tag == _C:
            kind, ref = el.get("t", "n"), el.get("r")
            if kind == "inlineStr":
                inline = el.find(_IS)
                value: Any = _text(inline) if inline is not None else None
            else:
                raw = el.findtext(_V)
                if raw is None:
                    value = None
                elif kind == "s":
                    value = strings[int(raw)]
                elif kind == "n":
                    value = _number(raw)
                    if int(el.get("s", "0")) in dates:
                        value = from_excel(value, epoch)
                elif kind == "b":
                    value = raw == "1"
                else:  # str (a formula's text), e (an error such as #N/A), d (ISO date)
                    value = raw
            position = _column(ref) if ref else len(row)
            row.extend([None] * (position - len(row)))
            row.append(value)
        elif tag == _ROW:
            number = int(el.get("r", last + 1))
            for _ in range(last + 1, number):
                yield ()
            last = number
            yield tuple(row)
            row = []
            el.clear()
