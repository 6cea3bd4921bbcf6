"""CSV and XLSX exports that spreadsheets open safely (no formula injection, BOM for Excel).

One way to export: `csv_response` for a small table built in the request, `csv_stream` and
`xlsx_stream` for tables of any size. Rows may be lazy generators (for instance one that opens
its own database session): a streamed response only pulls them while it is being sent, and the
XLSX workbook is written in openpyxl's write-only mode to a spooled temporary file, so neither
holds the whole table in memory.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from os import PathLike
from typing import IO

from starlette.responses import Response, StreamingResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot hold (openpyxl refuses them); tab, LF and CR are allowed.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
_CHUNK = 64 * 1024
_BATCH = 500


def safe_cell(value: object) -> str:
    """Neutralise a cell a spreadsheet would run as a formula by prefixing an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def csv_value(value: object) -> str:
    """A CSV cell: numbers as written (a negative number is not a formula), booleans as
    true/false, text neutralised."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if _is_number(value) else safe_cell(value)


def xlsx_value(value: object) -> object:
    """An XLSX cell: numbers and dates stay typed; text loses XML-illegal characters, then is
    neutralised (so stripping cannot uncover a leading '=')."""
    if value is None or _is_number(value):
        return value
    if isinstance(value, date) and not (isinstance(value, datetime) and value.tzinfo):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    return safe_cell(_ILLEGAL_XML.sub("", str(value)))


def _disposition(filename: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{filename}"'}


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_value(v) for v in row])
    return Response(
        "\ufeff" + buffer.getvalue(), media_type=CSV_TYPE, headers=_disposition(filename)
    )


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """The CSV file in UTF-8 chunks of a few hundred rows, BOM first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_value(v) for v in row])
        if n % _BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def csv_stream(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    return StreamingResponse(
        csv_chunks(header, rows), media_type=CSV_TYPE, headers=_disposition(filename)
    )


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title (≤ 31 characters), an optional title block, a header, the rows."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[object]]
    preamble: Sequence[Sequence[object]] = ()  # lines above the header (a form's title block)
    widths: Sequence[int] = ()  # column widths in characters


def write_xlsx(target: str | PathLike[str] | IO[bytes], sheets: Iterable[Sheet]) -> None:
    """Write the sheets to a path or binary file object, row by row (write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.title[:31])
        for i, width in enumerate(sheet.widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for line in sheet.preamble:
            ws.append([xlsx_value(v) for v in line])
        header = []
        for name in sheet.header:
            cell = WriteOnlyCell(ws, value=xlsx_value(name))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            if sheet.widths:
                cells = []
                for v in row:
                    cell = WriteOnlyCell(ws, value=xlsx_value(v))
                    cell.alignment = wrap
                    cells.append(cell)
                ws.append(cells)
            else:
                ws.append([xlsx_value(v) for v in row])
    workbook.save(target)


def xlsx_chunks(sheets: Iterable[Sheet]) -> Iterator[bytes]:
    """Build the workbook in a spooled temporary file when first pulled, then send it in chunks."""
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        write_xlsx(spool, sheets)
        spool.seek(0)
        while chunk := spool.read(_CHUNK):
            yield chunk


def xlsx_stream(filename: str, sheets: Iterable[Sheet]) -> Response:
    return StreamingResponse(
        xlsx_chunks(sheets), media_type=XLSX_TYPE, headers=_disposition(filename)
    )


def table_export(
    fmt: str, stem: str, header: Sequence[str], rows: Iterable[Sequence[object]], title: str
) -> Response:
    """`fmt` "csv" or "xlsx": the one table as `stem.csv` or `stem.xlsx` (one sheet `title`)."""
    if fmt == "xlsx":
        return xlsx_stream(f"{stem}.xlsx", [Sheet(title, header, rows)])
    return csv_stream(f"{stem}.csv", header, rows)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_chunks(names: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """A JSON array of objects (one per row, keys `names`), sent a few hundred rows at a time."""
    yield b"["
    sep = ""
    batch: list[str] = []
    for row in rows:
        batch.append(json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False,
                                default=_json_default))
        if len(batch) == _BATCH:
            yield (sep + ",\n".join(batch)).encode()
            sep, batch = ",\n", []
    if batch:
        yield (sep + ",\n".join(batch)).encode()
    yield b"]\n"


def json_stream(filename: str, names: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    return StreamingResponse(
        json_chunks(names, rows), media_type="application/json", headers=_disposition(filename)
    )
