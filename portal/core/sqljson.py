"""Rows of a subquery as one JSON array in a column, on SQLite and PostgreSQL alike.

The public institution page needs a few small lists (open days, the records of its credit check)
beside its stored document. Each list read as its own statement was a round trip and a
statement's Python overhead per view; aggregated into a column of the document's statement they
cost neither (bench/RESULTS.md, 2026-12-07 twelfth pass). The construct is SQLAlchemy's
documented extension point (`@compiles`), one per dialect:

    PostgreSQL  json_agg(json_build_array(a, b, …))   NULL over no rows
    SQLite      json_group_array(json_array(a, b, …)) '[]' over no rows

`rows_json` wraps it so that no rows read as "[]" on both. Values arrive as JSON: text, numbers
and null as they are; dates as "YYYY-MM-DD" and datetimes as ISO 8601 text (SQLite: the stored
naive UTC text; PostgreSQL: with an offset). `parse_date` and `parse_utc` read them back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import msgspec
from sqlalchemy import Text, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement, ScalarSelect
from sqlalchemy.sql.selectable import Subquery


class json_rows(FunctionElement):  # noqa: N801 (a SQL function's name, as sqlalchemy's own)
    """The aggregate: one JSON array per row of its columns, in an array."""

    type = Text()
    inherit_cache = True


@compiles(json_rows, "postgresql")
def _json_rows_pg(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))::text"


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


def rows_json(rows: Subquery) -> ScalarSelect[Any]:
    """A scalar subquery: every row of `rows` as a JSON array of its columns, '[]' for none."""
    return select(func.coalesce(json_rows(*rows.c), "[]")).scalar_subquery()


_decode = msgspec.json.Decoder(list[list[Any]]).decode


def decode_rows(text: str | None) -> list[list[Any]]:
    return _decode(text) if text else []


def parse_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value[:10])


def parse_utc(value: str | None) -> datetime | None:
    """An aware UTC datetime from either dialect's text (SQLite's is naive UTC)."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
