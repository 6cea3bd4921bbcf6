"""The demo city has published rules and commitments, and one submitted draft that a reviewer
can approve."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from demo.seed import seed_demo
from portal.accounts.models import User
from portal.backoffice.models import CreditCommitment, DisclosureVersion, InstitutionRule
from portal.backoffice.services import workflow
from portal.institutions.models import Institution

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_demo_seed_publishes_rules_commitments_and_one_pending_draft(env, db):
    summary = seed_demo(env, institutions=6, seed=3, today=TODAY)
    assert summary.institution_rules == db.scalar(select(func.count(InstitutionRule.id))) > 0
    assert summary.credit_commitments == db.scalar(select(func.count(CreditCommitment.id))) > 0

    pending = workflow.review_queue(db)
    assert [d.section for d in pending] == ["basic"]
    inst_1 = db.scalars(select(User).where(User.username == "inst-1")).one()
    assert pending[0].institution_id == inst_1.institution_id
    inst = db.get(Institution, inst_1.institution_id)
    admin = db.scalars(select(User).where(User.username == "admin")).one()
    version = workflow.approve(db, admin, pending[0].id, TODAY, datetime.now(UTC))
    assert "phone" in {c["field"] for c in version.changes}
    assert inst.phone.endswith("12349")
    assert db.scalar(select(func.count(DisclosureVersion.id))) == 1
