"""CSV, XLSX and JSON exports: formula injection neutralised, types kept, rows streamed."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.core.exports import (
    Sheet,
    csv_chunks,
    csv_value,
    json_chunks,
    write_xlsx,
    xlsx_chunks,
    xlsx_value,
)

HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "+1", "-2+3", "@SUM(A1:A2)",
           "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_starts_like_a_formula_is_neutralised(text):
    assert csv_value(text) == "'" + text
    assert xlsx_value(text) == "'" + text


def test_numbers_dates_and_booleans_keep_their_type():
    assert csv_value(-5) == "-5" and xlsx_value(-5) == -5
    assert xlsx_value(Decimal("12.50")) == Decimal("12.50")
    assert xlsx_value(date(2026, 1, 2)) == date(2026, 1, 2)
    assert csv_value(True) == "true" and xlsx_value(False) == "否"
    assert csv_value(None) == "" and xlsx_value(None) is None


def test_control_characters_are_dropped_before_neutralising():
    assert xlsx_value("\x01=1+1") == "'=1+1"


def test_xlsx_round_trip_opens_with_openpyxl_and_no_cell_is_a_formula():
    buffer = io.BytesIO()
    rows = [[t, 1, Decimal("2.5"), date(2026, 3, 1)] for t in HOSTILE]
    write_xlsx(buffer, [Sheet("数据", ["名称", "数量", "金额", "日期"], rows,
                              preamble=[["标题行"]], widths=(30, 8, 8, 12))])
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "标题行" and values[1] == ("名称", "数量", "金额", "日期")
    # XML turns a bare CR into LF on reading; the apostrophe is what matters.
    assert [v[0] for v in values[2:]] == ["'" + t.replace("\r", "\n") for t in HOSTILE]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert values[2][1:3] == (1, 2.5)
    assert values[2][3].date() == date(2026, 3, 1)


def test_csv_is_streamed_in_batches_not_built_at_once():
    pulled = []

    def rows():
        for n in range(1200):
            pulled.append(n)
            yield [n, f"机构{n}"]

    chunks = csv_chunks(["id", "name"], rows())
    first = next(chunks)
    assert len(pulled) <= 501  # the first chunk went out after one batch
    text = (first + b"".join(chunks)).decode()
    assert text.startswith("\ufeffid,name")
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(parsed) == 1201 and parsed[-1] == ["1199", "机构1199"]


def test_json_stream_is_one_valid_array():
    rows = ([n, Decimal("1.50"), date(2026, 1, n % 28 + 1), n % 2 == 0] for n in range(1100))
    data = json.loads(b"".join(json_chunks(["id", "price", "day", "even"], rows)))
    assert len(data) == 1100
    assert data[3] == {"id": 3, "price": 1.5, "day": "2026-01-04", "even": False}
    assert json.loads(b"".join(json_chunks(["id"], iter([])))) == []


def test_xlsx_chunks_builds_the_workbook_lazily():
    pulled = []

    def rows():
        pulled.append(True)
        yield ["a"]

    chunks = xlsx_chunks([Sheet("s", ["x"], rows())])
    assert pulled == []  # nothing read until the response is sent
    body = b"".join(chunks)
    assert body[:2] == b"PK" and pulled == [True]
