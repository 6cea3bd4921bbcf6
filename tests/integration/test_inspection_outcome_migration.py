"""Migration 0014 on rows already there, on SQLite and PostgreSQL: each inspection's outcome
classified from its rectification status and findings, each unfiled place dated from its first
inspection, else its first complaint, else its creation (local dates); downgrade and upgrade."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from portal.institutions.models import Inspection, Institution

from factories import department, district, institution
from factories.complaints import complaint_row
from factories.disclosures import inspection

OUTCOMES = [  # (findings, rectification status, deadline) -> outcome
    ("", "none_required", None, "no_findings"),
    ("未发现问题", "none_required", None, "no_findings"),
    ("经检查，无需整改。", "none_required", None, "no_findings"),
    ("灭火器过期，当场更换", "none_required", None, "closed_on_spot"),
    ("消防通道堵塞", "pending", date(2025, 9, 1), "rectification_required"),
    ("消防通道堵塞", "overdue", date(2025, 9, 1), "rectification_required"),
    ("", "done", date(2025, 9, 1), "rectification_required"),
]


def test_migration_0014_backfills_outcomes_and_discoveries(db, env):
    from alembic import command

    from portal.core.migrate import alembic_config, upgrade

    d = district(db, name="南湖区")
    civil, market = department(db, "civil_affairs", d), department(db, "market_regulation", d)
    filed = institution(db, district_=d, name="已备案养老院")
    inspected = institution(db, district_=d, name="检查发现的托老所",
                            filing_status="unregistered")
    complained = institution(db, district_=d, name="投诉发现的托老所",
                             filing_status="unregistered")
    entered = institution(db, district_=d, name="仅建档的托老所", filing_status="unregistered",
                          created_at=datetime(2026, 12, 6, 20, 0, tzinfo=UTC))
    unfiled_home = institution(db, district_=d, name="登记未备案养老院",
                               filing_status="registered_unfiled")
    rows = [inspection(db, filed, civil, findings=f, rectification_status=s,
                       rectification_deadline=dl, inspected_on=date(2025, 8, 1))
            for f, s, dl, _ in OUTCOMES]
    inspection(db, inspected, civil, inspected_on=date(2025, 9, 1), findings="无证经营",
               rectification_status="pending", rectification_deadline=date(2025, 10, 1))
    inspection(db, inspected, market, inspected_on=date(2025, 8, 8), findings="")
    inspection(db, inspected, civil, inspected_on=date(2025, 8, 8), findings="")
    # 17:30 UTC on 1 March is 2 March in Shanghai; the later complaint does not count.
    complaint_row(db, civil, datetime(2026, 3, 1, 17, 30, tzinfo=UTC)).institution_id = \
        complained.id
    complaint_row(db, civil, datetime(2026, 4, 1, 2, 0, tzinfo=UTC)).institution_id = \
        complained.id
    complaint_row(db, civil, datetime(2026, 1, 1, 2, 0, tzinfo=UTC)).institution_id = \
        unfiled_home.id
    db.commit()
    ids = [r.id for r in rows]
    db.close()

    command.downgrade(alembic_config(env), "0013")
    upgrade(env)

    db.expire_all()
    outcomes = dict(db.execute(select(Inspection.id, Inspection.outcome)
                               .where(Inspection.id.in_(ids))).all())
    assert [outcomes[i] for i in ids] == [o for *_, o in OUTCOMES]

    def discovery(inst):
        row = db.get(Institution, inst.id)
        return row.discovered_on, row.discovered_via, row.discovered_by

    # The earliest inspection wins; of two that day, the first recorded (market regulation).
    assert discovery(inspected) == (date(2025, 8, 8), "inspection", market.name)
    assert discovery(complained) == (date(2026, 3, 2), "complaint", "投诉举报")
    assert discovery(entered) == (date(2026, 12, 7), "other", "")
    assert discovery(unfiled_home) == (date(2026, 1, 1), "complaint", "投诉举报")
    assert discovery(filed) == (None, "", "")
