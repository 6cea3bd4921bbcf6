"""An office's queue counts from the trigger-kept `queue_counts` rows (migration 0010).

Buckets: each complaint status, and `co` for co-handling requests waiting for the office's reply.
"""

from __future__ import annotations

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.orm import Session

from complaints.models import QueueCount

CO = "co"

_OFFICE_COUNTS = (
    select(QueueCount.bucket, func.sum(QueueCount.n))
    .where(QueueCount.office_id == bindparam("office_id"))
    .group_by(QueueCount.bucket)
)


def office_counts(session: Session, office_id: int) -> dict[str, int]:
    """{bucket: count} of one office; buckets it never had are absent."""
    return {bucket: int(n) for bucket, n in
            session.execute(_OFFICE_COUNTS, {"office_id": office_id})}


# Only groups (office, bucket) of more than one row are folded; a group whose rows sum to nought
# leaves no row.
# PostgreSQL: one statement, so the rows summed are exactly the rows deleted (a filing that
# commits meanwhile keeps its row for the next fold, and of two folds at once the second finds
# the rows gone and sums none of them).
_FOLD_POSTGRES = text(
    "WITH gone AS (DELETE FROM queue_counts WHERE (office_id, bucket) IN "
    "(SELECT office_id, bucket FROM queue_counts GROUP BY office_id, bucket "
    "HAVING count(*) > 1) RETURNING office_id, bucket, n) "
    "INSERT INTO queue_counts (office_id, bucket, n) "
    "SELECT office_id, bucket, sum(n) FROM gone GROUP BY office_id, bucket HAVING sum(n) <> 0"
)
# SQLite has one writer at a time and numbers a new row after the largest id. The fold writes
# first (a no-op delete: triggers never add a nought), which holds off every other writer until
# the commit; the rows up to the largest id read next are then all there will ever be up to it,
# and both statements see the same groups.
_FOLD_SQLITE = [
    text("INSERT INTO queue_counts (office_id, bucket, n) "
         "SELECT office_id, bucket, sum(n) FROM queue_counts WHERE id <= :last "
         "GROUP BY office_id, bucket HAVING count(*) > 1 AND sum(n) <> 0"),
    text("DELETE FROM queue_counts WHERE id <= :last AND (office_id, bucket) IN "
         "(SELECT office_id, bucket FROM queue_counts WHERE id <= :last "
         "GROUP BY office_id, bucket HAVING count(*) > 1)"),
]


def fold(session: Session) -> int:
    """Replace each office's and bucket's rows by one row of their sum; returns the rows left.
    The sums do not change (every count reads the same before and after), so it is safe at any
    time, in any number of workers at once. The caller commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_FOLD_POSTGRES)
    else:
        session.execute(delete(QueueCount).where(QueueCount.n == 0))
        last = session.scalar(select(func.max(QueueCount.id)))
        if last is not None:
            for statement in _FOLD_SQLITE:
                session.execute(statement, {"last": last})
    return session.scalar(select(func.count()).select_from(QueueCount)) or 0
