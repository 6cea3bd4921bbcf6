"""Counts kept by database triggers as signed rows, and the recurring job that folds them.

A table of signed counts has an integer `id`, key columns and `n`. Triggers on the counted
table add +1 for a row that enters a key and -1 for one that leaves it (complaints per office
and status, `queue_counts`, migration 0010; institutions per directory filter values,
`directory_counts`, migration 0011), so a count — the sum of `n` over the rows matching a key —
is exact in every transaction, whatever wrote the counted rows (ORM, bulk SQL, an operator).
Rows are only ever inserted: no row is a hot spot for concurrent writers on PostgreSQL, and no
two transactions wait on each other's rows. `fold` replaces each key's rows by one row of their
sum, so a read sums few rows.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.orm import Session

from portal.core.db import session_scope
from portal.core.jobs import task
from portal.core.settings import get_settings

log = logging.getLogger(__name__)

# Table → its key columns.
SIGNED_COUNTS = {
    "queue_counts": ("office_id", "bucket"),
    "directory_counts": ("district_id", "street_id", "kind", "nature", "filing_status", "vacant",
                         "operating_status"),
}


def _statements(table: str, postgres: bool) -> list:
    """The fold's SQL for one table. Identifiers come from SIGNED_COUNTS, never from input."""
    keys = ", ".join(SIGNED_COUNTS[table])
    if postgres:
        # One statement, so the rows summed are exactly the rows deleted: a row committed
        # meanwhile stays for the next fold, and of two folds at once the second finds the rows
        # gone and sums none of them. A key whose rows sum to nought leaves no row.
        return [text(
            f"WITH gone AS (DELETE FROM {table} WHERE ({keys}) IN "  # noqa: S608
            f"(SELECT {keys} FROM {table} GROUP BY {keys} HAVING count(*) > 1) "
            f"RETURNING {keys}, n) "
            f"INSERT INTO {table} ({keys}, n) "
            f"SELECT {keys}, sum(n) FROM gone GROUP BY {keys} HAVING sum(n) <> 0")]
    # SQLite has one writer at a time and numbers a new row after the largest id. The fold
    # writes first (a no-op delete: triggers never add a nought), which holds off every other
    # writer until the commit; the rows up to the largest id read next are then all there will
    # ever be up to it, and the insert and the delete see the same keys.
    return [
        text(f"DELETE FROM {table} WHERE n = 0"),  # noqa: S608
        text(f"SELECT max(id) FROM {table}"),  # noqa: S608
        text(f"INSERT INTO {table} ({keys}, n) "  # noqa: S608
             f"SELECT {keys}, sum(n) FROM {table} WHERE id <= :last "
             f"GROUP BY {keys} HAVING count(*) > 1 AND sum(n) <> 0"),
        text(f"DELETE FROM {table} WHERE id <= :last AND ({keys}) IN "  # noqa: S608
             f"(SELECT {keys} FROM {table} WHERE id <= :last GROUP BY {keys} "
             "HAVING count(*) > 1)"),
    ]


def fold(session: Session, table: str) -> int:
    """Sum each key's rows of `table` into one; returns the rows left. Every count reads the
    same before and after, so it is safe at any time, in any number of workers at once. The
    caller commits."""
    if session.get_bind().dialect.name == "postgresql":
        for statement in _statements(table, postgres=True):
            session.execute(statement)
    else:
        first_write, read_last, *folding = _statements(table, postgres=False)
        session.execute(first_write)
        last = session.execute(read_last).scalar()
        if last is not None:
            for statement in folding:
                session.execute(statement, {"last": last})
    return session.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0  # noqa: S608


@task
def fold_signed_counts() -> dict[str, int]:
    """Fold every table of signed counts (recurring); returns the rows left in each."""
    left = {}
    for table in SIGNED_COUNTS:
        with session_scope(get_settings().database_url) as session:
            left[table] = fold(session, table)
    log.info("signed counts folded: %s rows left", left)
    return left
