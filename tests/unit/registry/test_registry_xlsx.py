"""Reading a workbook for the import (portal/registry/services.py: python-calamine): what the
rules receive from openpyxl's files and from Excel's (shared strings, phonetic guides, date
styles, 1904 dates, gaps), and a damaged file as a Chinese message, not a traceback."""

from __future__ import annotations

import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from portal.registry.services import ImportFileError, read_table


def _rows(path) -> list[tuple]:
    table = read_table(path)
    return [table.headers] + [cells for _, cells in table.rows]


def test_values_of_a_workbook_openpyxl_wrote_with_row_numbers_kept(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["名称", "日期", "床位", "比例", "是否", None, "空"])
    sheet.append(["福寿院", datetime(2021, 3, 4), 120, 0.5, True, None, None])
    sheet.append([])
    sheet.append([None, "2021/3/4", -3, 1e20, False, "末列"])
    second = book.create_sheet("数据字典")
    second.append(["不读这一页"])
    path = tmp_path / "a.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.headers == ("名称", "日期", "床位", "比例", "是否", "", "空")
    rows = list(table.rows)
    assert [number for number, _ in rows] == [2, 3, 4]
    assert rows[0][1] == ("福寿院", date(2021, 3, 4), 120, 0.5, True, "", "")
    assert rows[1][1] == ("",) * 7
    assert rows[2][1] == ("", "2021/3/4", -3, 1e20, False, "末列", "")


_WS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def _excel_like(path, *, date1904: bool = False, sheet: str | None = None) -> None:
    """A workbook as Excel writes one: shared strings (one with a phonetic guide), a custom and
    a built-in date format, the first sheet not named sheet1.xml."""
    parts = {
        "[Content_Types].xml": "<Types/>",
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<workbookPr date1904="{int(date1904)}"/><sheets>'
            '<sheet name="机构" sheetId="1" r:id="rId3"/><sheet name="b" sheetId="2" r:id="rId1"/>'
            "</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_WS}" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId3" Type="{_WS}" Target="worksheets/data.xml"/>'
            "</Relationships>"),
        "xl/sharedStrings.xml": (
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            "<si><t>机构名称</t></si><si><t>登记日期</t></si>"
            "<si><r><t>长</t></r><r><t>寿院</t></r><rPh><t>チョウ</t></rPh></si></sst>"),
        "xl/styles.xml": (
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
            '<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>'
            '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="176"/></cellXfs>'
            "</styleSheet>"),
        "xl/worksheets/data.xml": sheet or (
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" s="1"><v>44259</v></c>'
            '<c r="D2" s="2"><v>44260</v></c><c r="E2" t="e"><v>#N/A</v></c></row>'
            '<row r="4"><c r="B4"><v>12</v></c></row></sheetData></worksheet>'),
        "xl/worksheets/sheet1.xml": "<worksheet/>",
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)


def test_shared_strings_date_styles_gaps_and_the_first_sheet_as_excel_writes_them(tmp_path):
    path = tmp_path / "excel.xlsx"
    _excel_like(path)
    assert _rows(path) == [
        ("机构名称", "登记日期", "", "", ""),
        ("长寿院", date(2021, 3, 4), "", date(2021, 3, 5), ""),  # #N/A reads as blank
        ("", "", "", "", ""),
        ("", 12, "", "", ""),
    ]


def test_1904_workbooks_count_days_from_1904(tmp_path):
    path = tmp_path / "mac.xlsx"
    _excel_like(path, date1904=True)
    assert _rows(path)[1][1] == date(2025, 3, 5)


@pytest.mark.parametrize("content", [b"PK not really", b"PK\x03\x04 not a zip", b""])
def test_not_a_workbook_is_a_chinese_message(tmp_path, content):
    path = tmp_path / "a.xlsx"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match="不是有效的 Excel"):
        read_table(path)


def test_a_damaged_sheet_is_a_chinese_message(tmp_path):
    path = tmp_path / "cut.xlsx"
    _excel_like(path, sheet='<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml'
                            '/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>')
    with pytest.raises(ImportFileError, match="文件已损坏"):
        _rows(path)
