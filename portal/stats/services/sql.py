"""Dialect-aware SQL expressions for local calendar days and months (SQLite and PostgreSQL).

Timestamps are stored in UTC. On PostgreSQL the zone name is used (`AT TIME ZONE`); SQLite has no
zone database, so the zone's offset is applied, which is exact for zones without daylight saving
time such as Asia/Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, String, cast, func, literal_column
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

EPOCH = date(1970, 1, 1)


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _literal(value: str):
    """A string literal rendered into the SQL (not a bound parameter), so that PostgreSQL sees
    the same expression in SELECT and GROUP BY. Values come from settings, never from users."""
    return literal_column("'" + value.replace("'", "''") + "'", String)


def _offset_modifier(tz: ZoneInfo):
    offset = tz.utcoffset(datetime(2026, 1, 1))
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return _literal(f"{minutes:+d} minutes")


def local_day_number(session: Session, column, tz: ZoneInfo) -> ColumnElement[int]:
    """The local calendar day of a UTC timestamp, as days since 1970-01-01."""
    if dialect(session) == "postgresql":
        local = cast(func.timezone(_literal(tz.key), column), Date)
        return local - literal_column("DATE '1970-01-01'", Date)
    seconds = func.strftime(_literal("%s"), func.date(column, _offset_modifier(tz)))
    return cast(seconds, Integer) / literal_column("86400", Integer)


def local_month(session: Session, column, tz: ZoneInfo) -> ColumnElement[str]:
    """'YYYY-MM' of a UTC timestamp in local time."""
    if dialect(session) == "postgresql":
        return func.to_char(func.timezone(_literal(tz.key), column), _literal("YYYY-MM"))
    return func.strftime(_literal("%Y-%m"), column, _offset_modifier(tz))


def date_month(session: Session, column) -> ColumnElement[str]:
    """'YYYY-MM' of a DATE column."""
    if dialect(session) == "postgresql":
        return func.to_char(column, _literal("YYYY-MM"))
    return func.strftime(_literal("%Y-%m"), column)


def day_number(d: date) -> int:
    return (d - EPOCH).days
