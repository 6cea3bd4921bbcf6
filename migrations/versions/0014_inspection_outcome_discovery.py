"""inspection outcome; when, by whom and how an unfiled place was discovered

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 22:40:00.000000

`inspections.outcome` records what an inspection concluded (no findings / findings with a
rectification requirement / findings closed on the spot) instead of guessing it from the
findings text; existing rows are classified once here: a rectification status other than
none_required means a rectification was required; empty findings or findings saying 未发现问题
or 无需整改 (with none_required) mean no findings; anything else was closed on the spot.

`institutions.discovered_on / discovered_by / discovered_via` date the discovery of a place
operating without filing (indicator 2.6 counts its 20 working days from it). Existing unfiled
places take their earliest inspection (its department), else their first complaint, else the
day they were entered. Columns are added (never a batch copy: institutions carries triggers).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOME_BACKFILL = """
UPDATE inspections SET outcome = CASE
  WHEN rectification_status <> 'none_required' THEN 'rectification_required'
  WHEN TRIM(COALESCE(findings, '')) = '' OR findings LIKE '%未发现问题%'
       OR findings LIKE '%无需整改%' THEN 'no_findings'
  ELSE 'closed_on_spot' END
"""

UNFILED = ("(filing_status = 'unregistered' OR "
           "(filing_status = 'registered_unfiled' AND kind = 'residential'))")


def _backfill_discovery() -> None:
    from portal.core.settings import get_settings  # the time zone of complaint and creation dates

    tz = get_settings().timezone
    bind = op.get_bind()
    institutions = sa.table('institutions', sa.column('id', sa.Integer),
                            sa.column('created_at', portal.core.db.UTCDateTime()))
    complaints = sa.table('complaints', sa.column('institution_id', sa.Integer),
                          sa.column('received_at', portal.core.db.UTCDateTime()))
    places = bind.execute(sa.select(institutions.c.id, institutions.c.created_at)
                          .where(sa.text(UNFILED))).all()
    for place_id, created_at in places:
        first = bind.execute(sa.text(
            "SELECT i.inspected_on, d.name FROM inspections i JOIN departments d "
            "ON d.id = i.department_id WHERE i.institution_id = :id "
            "ORDER BY i.inspected_on, i.id LIMIT 1"), {"id": place_id}).first()
        if first is not None:
            on, by, via = first[0], first[1], 'inspection'
        else:
            received = bind.execute(sa.select(sa.func.min(complaints.c.received_at))
                                    .where(complaints.c.institution_id == place_id)).scalar()
            if received is not None:
                on, by, via = received.astimezone(tz).date(), '投诉举报', 'complaint'
            elif created_at is not None:
                on, by, via = created_at.astimezone(tz).date(), '', 'other'
            else:
                continue
        bind.execute(sa.text(
            "UPDATE institutions SET discovered_on = :on, discovered_by = :by, "
            "discovered_via = :via WHERE id = :id"),
            {"on": on, "by": by, "via": via, "id": place_id})


def upgrade() -> None:
    op.add_column('inspections', sa.Column('outcome', sa.String(length=30), nullable=False,
                                           server_default='no_findings'))
    op.execute(OUTCOME_BACKFILL)
    op.add_column('institutions', sa.Column('discovered_on', sa.Date(), nullable=True))
    op.add_column('institutions', sa.Column('discovered_by', sa.String(length=100),
                                            nullable=False, server_default=''))
    op.add_column('institutions', sa.Column('discovered_via', sa.String(length=20),
                                            nullable=False, server_default=''))
    _backfill_discovery()


def downgrade() -> None:
    # Dropping a column is an ALTER TABLE ... DROP COLUMN on both databases (SQLite ≥ 3.35):
    # no table copy, so the triggers stay.
    op.drop_column('institutions', 'discovered_via')
    op.drop_column('institutions', 'discovered_by')
    op.drop_column('institutions', 'discovered_on')
    op.drop_column('inspections', 'outcome')
