"""outbox jobs: the task paths of modules moved by the issue-19 layout

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 03:00:00.000000

An outbox row names its task as `module:function` (portal.core.jobs.task_path). Issue 19 moved
the infrastructure into portal/core/ and each domain into models, rules/, services/, views/,
tasks: a job recorded before the upgrade and not yet run keeps working because its path is
renamed here. Data only; downgrade renames back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOVED = [
    ('portal.institutions.page_jobs', 'portal.institutions.tasks'),
    ('portal.jobs', 'portal.core.jobs'),
    ('portal.notify', 'portal.core.notify'),
    ('portal.opendays.signups', 'portal.opendays.services.signups'),
    ('portal.outbox', 'portal.core.outbox'),
    ('portal.signed_counts', 'portal.core.signed_counts'),
]

_RENAME = sa.text(
    "UPDATE outbox_jobs SET func = :new || substr(func, :keep)"
    " WHERE substr(func, 1, :keep) = :old || ':'")


def _rename(pairs) -> None:
    for old, new in pairs:
        op.get_bind().execute(_RENAME, {"old": old, "new": new, "keep": len(old) + 1})


def upgrade() -> None:
    _rename(MOVED)


def downgrade() -> None:
    _rename([(new, old) for old, new in MOVED])
