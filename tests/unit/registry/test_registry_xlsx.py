"""The streaming XLSX reader against openpyxl's: the same values from openpyxl's own files,
and Excel's shared strings, date styles, 1904 dates, gaps and phonetic guides."""

from __future__ import annotations

import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook

from portal.registry.xlsx import WorkbookError, read_rows


def test_the_same_values_as_openpyxl_for_a_workbook_it_wrote(tmp_path):
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
    theirs = [tuple(row) for row in load_workbook(path, read_only=True).active.iter_rows(
        values_only=True)]
    ours = list(read_rows(path))
    assert ours[1] == ("福寿院", datetime(2021, 3, 4), 120, 0.5, True)
    assert ours[2] == ()
    assert [tuple(v for v in row if v is not None) for row in ours] == \
        [tuple(v for v in row if v is not None) for row in theirs]


def _excel_like(path, *, date1904: bool = False) -> None:
    """A workbook as Excel writes one: shared strings (one with a phonetic guide), a custom and
    a built-in date format, the first sheet not named sheet1.xml."""
    parts = {
        "[Content_Types].xml": "<Types/>",
        "xl/workbook.xml": (
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<workbookPr date1904="{int(date1904)}"/><sheets>'
            '<sheet name="机构" sheetId="1" r:id="rId3"/><sheet name="b" sheetId="2" r:id="rId1"/>'
            "</sheets></workbook>"),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId3" Target="worksheets/data.xml"/></Relationships>'),
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
        "xl/worksheets/data.xml": (
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
    assert list(read_rows(path)) == [
        ("机构名称", "登记日期"),
        ("长寿院", datetime(2021, 3, 4), None, datetime(2021, 3, 5), "#N/A"),
        (),
        (None, 12),
    ]


def test_1904_workbooks_count_days_from_1904(tmp_path):
    path = tmp_path / "mac.xlsx"
    _excel_like(path, date1904=True)
    assert list(read_rows(path))[1][1] == datetime(2025, 3, 5)


def test_not_a_workbook(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"PK not really")
    with pytest.raises(WorkbookError, match="不是有效的 Excel"):
        next(read_rows(path))
