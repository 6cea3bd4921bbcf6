"""An office's queue counts from the trigger-kept `queue_counts` rows (migration 0010; folded by
`portal.core.signed_counts`).

Buckets: each complaint status, and `co` for co-handling requests waiting for the office's reply.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from complaints.models import QueueCount
from portal.core.db import core_rows

CO = "co"

_OFFICE_COUNTS = (
    select(QueueCount.bucket, func.sum(QueueCount.n))
    .where(QueueCount.office_id == bindparam("office_id"))
    .group_by(QueueCount.bucket)
)


def bucket_sum(buckets: tuple[str, ...]):
    """The office's ("office_id" bound) count in these buckets, as a scalar subquery."""
    return (select(func.coalesce(func.sum(QueueCount.n), 0))
            .where(QueueCount.office_id == bindparam("office_id"),
                   QueueCount.bucket.in_(buckets))
            .scalar_subquery())


def office_counts(session: Session, office_id: int) -> dict[str, int]:
    """{bucket: count} of one office; buckets it never had are absent."""
    return {bucket: int(n) for bucket, n in
            core_rows(session, _OFFICE_COUNTS, {"office_id": office_id})}
