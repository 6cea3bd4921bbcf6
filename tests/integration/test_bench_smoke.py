"""The benchmark scripts import, their bulk complaints match the services, the ceiling is opt-in.

The benchmarks themselves (bench/load.py) print figures and are never timed here.
"""

from __future__ import annotations

import importlib
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from complaints.models import OPEN_STATUSES, Complaint, ComplaintEvent, QueueCount
from complaints.rules import clock
from complaints.rules.routing import Rule, route
from complaints.services.calendar_store import load_calendar
from complaints.services.filing import active_rules, office_map
from complaints.services.queues import tab_counts
from demo.seed import seed_demo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def test_bench_scripts_import():
    for name in ("bench.stack", "bench.load", "bench.bigdata"):
        module = importlib.import_module(name)
        assert callable(module.main)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ceiling_route_is_not_mounted_by_default(client):
    assert client.get("/_bench/ceiling/1").status_code == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ceiling_route_renders_one_institution_when_enabled(env, monkeypatch):
    from starlette.testclient import TestClient

    from portal.app import create_app
    from portal.core.settings import reset_settings

    seed_demo(env, institutions=5, seed=2)
    monkeypatch.setenv("PORTAL_BENCH_ROUTES", "1")
    reset_settings()
    try:
        with TestClient(create_app()) as client:
            page = client.get("/_bench/ceiling/1")
            missing = client.get("/_bench/ceiling/999999")
    finally:
        monkeypatch.delenv("PORTAL_BENCH_ROUTES")
        reset_settings()
    assert page.status_code == 200
    assert "基本信息" in page.text and "养老服务监督公开平台" in page.text
    assert missing.status_code == 404


def test_bulk_complaints_are_routed_and_clocked_like_the_service(env, db):
    from bench.bigdata import generate

    seed_demo(env, institutions=30, seed=1)
    summary = generate(env, 300, 60, seed=4, now=NOW, progress=lambda line: None)
    assert summary["complaints"] == 300

    rules = {code: Rule(r.code, r.responsible_type, tuple(r.co_handling_types))
             for code, r in active_rules(db).items()}
    offices = office_map(db)
    calendar = load_calendar(db)
    complaints = db.scalars(select(Complaint)).all()
    assert len(complaints) == 300
    for c in complaints:
        expected = route(rules[c.category_code], c.district_id, offices)
        assert c.responsible_department_id == expected.responsible_office
        deadline = clock.compute_deadline(c.received_at, c.working_days, calendar)
        assert (c.due_at, c.due_last_day) == (deadline.due_at, deadline.last_day)
        assert c.received_at <= NOW and c.tracking_no.endswith(f"{c.id:06d}")
    kinds = dict(db.execute(select(ComplaintEvent.kind, func.count())
                            .group_by(ComplaintEvent.kind)).all())
    assert kinds["received"] == kinds["assigned"] == 300
    assert kinds["signed"] == sum(1 for c in complaints if c.signed_at)

    hot = summary["hot_office"]
    hot_open = [c for c in complaints
                if c.responsible_department_id == hot and c.status in OPEN_STATUSES]
    assert len(hot_open) >= 60
    counts = tab_counts(db, hot)  # the bulk load's queue counts, folded
    for tab in ("assigned", "signed"):
        assert counts[tab] == sum(1 for c in hot_open if c.status == tab)
    groups = select(QueueCount.office_id, QueueCount.bucket).distinct().subquery()
    assert db.scalar(select(func.count()).select_from(QueueCount)) == db.scalar(
        select(func.count()).select_from(groups))  # one row per office and bucket


def test_the_stack_reads_every_data_file_once_before_its_load(tmp_path):
    from bench.stack import warm_page_cache

    (tmp_path / "base" / "16384").mkdir(parents=True)
    sizes = {"base/16384/2619": 3 << 20, "base/16384/2619_fsm": 5, "portal.sqlite3": 0}
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"x" * size)
    assert warm_page_cache(tmp_path) == sum(sizes.values())
