"""The reference version (migration 0012): one number that triggers add one to in the
transaction of any change of the reference data (routing rules, offices, calendar years).

A signed-in request reads it with its first statement, the lookup of its session or API key,
and notes it on the database session; `complaints.reference` then checks what its process keeps
against the noted number instead of reading it with a statement of its own (one round trip of
a queue view or an Open311 filing on PostgreSQL, bench/RESULTS.md, seventh pass). The number is
read before any of the data it covers, as `complaints.reference` requires.
"""

from __future__ import annotations

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

_TABLE = table("reference_version", column("id"), column("n"))
# A column to add to a request's first statement.
COLUMN = select(_TABLE.c.n).where(_TABLE.c.id == 1).scalar_subquery().label("reference_version")
_NOTED = "portal.reference_version"


def note(session: Session, version: int | None) -> None:
    """Note the number read with this session's first statement (None: no row, read it later)."""
    if version is not None:
        session.info[_NOTED] = version


def noted(session: Session) -> int | None:
    """The number noted in this session's current transaction, if any."""
    return session.info.get(_NOTED)


def drop(session: Session) -> None:
    """Forget the noted number (the transaction ended, or changed the reference data)."""
    session.info.pop(_NOTED, None)
