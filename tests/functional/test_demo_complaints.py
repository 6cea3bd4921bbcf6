"""The demo complaints go through the real services and cover the queue states."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from complaints.models import Complaint
from demo.complaints import seed_demo_complaints
from demo.seed import seed_demo


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_demo_complaints_are_routed_clocked_and_in_several_states(env, db):
    seed_demo(env, institutions=60, seed=3)
    assert seed_demo_complaints(env, 40, 3, datetime(2026, 11, 25, 2, tzinfo=UTC)) == 40
    complaints = db.scalars(select(Complaint)).all()
    assert len(complaints) == 40
    assert all(c.responsible_department_id and c.due_at > c.received_at for c in complaints)
    assert {"assigned", "signed", "answered"} <= {c.status for c in complaints}
    assert seed_demo_complaints(env, 40, 3, datetime(2026, 11, 25, 2, tzinfo=UTC)) == 0
