"""Migrations build the schema on SQLite and PostgreSQL, and agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal.core.db import get_engine
from portal.models import Base


def test_upgrade_reaches_head_and_autogenerate_finds_no_difference(database_url):
    engine = get_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert context.get_current_revision() is not None
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    tables = set(inspect(engine).get_table_names())
    assert {"institutions", "users", "outbox_jobs", "departments"} <= tables


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_url):
    engine = get_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


# Migration 0015: the free text of 消防审验 read into a status (and kept as the note).
LEGACY_FIRE_TEXTS = {
    "已通过消防验收": "passed",
    "已办理消防备案": "passed",
    "无": "failed",
    "无消防手续": "failed",
    "没有通过": "failed",
    "未通过（整改中）": "failed",
    "办理中": "in_progress",
    "无需办理（上门服务）": "not_required",
    "详见公告栏": None,
    "": None,
}


def test_0015_reads_old_fire_approval_text_into_a_status_and_keeps_the_text(db, database_url):
    from alembic import command
    from sqlalchemy import text

    from portal.core.db import dispose_engines
    from portal.core.migrate import alembic_config, upgrade

    from factories import institution
    from factories.disclosures import resources

    inst = institution(db)
    for note in LEGACY_FIRE_TEXTS:
        resources(db, inst, fire_approval=note, fire_approval_status=None,
                  fire_approval_doc_no="", fire_approval_date=None)
    db.commit()
    inst_id = inst.id
    db.close()
    dispose_engines()
    command.downgrade(alembic_config(database_url), "0013")
    with get_engine(database_url).connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("service_resources")}
        assert "fire_approval_status" not in columns
        version = conn.scalar(text("SELECT records_version FROM institutions WHERE id = :i"),
                              {"i": inst_id})
    dispose_engines()
    upgrade(database_url)
    with get_engine(database_url).connect() as conn:
        rows = conn.execute(text(
            "SELECT fire_approval, fire_approval_status, fire_approval_doc_no, fire_approval_date "
            "FROM service_resources WHERE institution_id = :i"), {"i": inst_id}).all()
        after = conn.scalar(text("SELECT records_version FROM institutions WHERE id = :i"),
                            {"i": inst_id})
    assert {r.fire_approval: r.fire_approval_status for r in rows} == LEGACY_FIRE_TEXTS
    assert {(r.fire_approval_doc_no, r.fire_approval_date) for r in rows} == {("", None)}
    # The page-version triggers of migration 0009 survived (no table was rebuilt) and saw it.
    assert after > version


def test_0019_keeps_the_earliest_of_duplicate_open_day_sign_ups(db, database_url):
    """Migration 0019: one sign-up per phone per event. Existing duplicates do not break it:
    the earliest is kept, the later ones are cancelled ('duplicate') and their seats given
    back; the rest count as confirmed (they were, under the old flow)."""
    from datetime import timedelta

    from alembic import command
    from sqlalchemy import text

    from portal.core.db import dispose_engines, utcnow
    from portal.core.migrate import alembic_config, upgrade
    from portal.opendays.models import OpenDay

    from factories import institution

    now = utcnow()
    event = OpenDay(institution_id=institution(db).id, title="旧开放日",
                    starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=2),
                    signup_deadline=now + timedelta(days=4), place="大厅", capacity=20,
                    seats_taken=0, status="scheduled")
    db.add(event)
    db.commit()
    event_id = event.id
    db.close()
    dispose_engines()
    command.downgrade(alembic_config(database_url), "0018")
    created = now.replace(tzinfo=None) if database_url.startswith("sqlite") else now
    rows = [("13900000001", 2), ("13900000001", 2), ("13900000002", 1), ("13900000001", 3),
            ("13900000002", 1)]
    with get_engine(database_url).begin() as conn:
        for phone, party in rows:
            conn.execute(text(
                "INSERT INTO open_day_signups (open_day_id, name, phone, identity, party_size,"
                " status, created_at, feedback_text) VALUES (:e, '旧报名', :p, '公众', :n,"
                " 'confirmed', :c, '')"), {"e": event_id, "p": phone, "n": party, "c": created})
        conn.execute(text("UPDATE open_days SET seats_taken = 9 WHERE id = :e"), {"e": event_id})
    dispose_engines()
    upgrade(database_url)
    with get_engine(database_url).connect() as conn:
        kept = conn.execute(text(
            "SELECT phone, party_size, status, cancel_reason, confirmed_at IS NOT NULL"
            " FROM open_day_signups WHERE open_day_id = :e ORDER BY id"), {"e": event_id}).all()
        seats = conn.scalar(text("SELECT seats_taken FROM open_days WHERE id = :e"),
                            {"e": event_id})
    assert [tuple(r) for r in kept] == [
        ("13900000001", 2, "confirmed", None, True),
        ("13900000001", 2, "cancelled", "duplicate", True),
        ("13900000002", 1, "confirmed", None, True),
        ("13900000001", 3, "cancelled", "duplicate", True),
        ("13900000002", 1, "cancelled", "duplicate", True),
    ]
    assert seats == 3  # 2 + 1 kept


def test_0030_adds_coordinates_without_losing_the_triggers_and_goes_back(db, database_url):
    """Migration 0030: plain ADD/DROP COLUMN on institutions and streets. Their triggers (page
    version 0009, directory counts 0011, reference version 0013) survive both ways."""
    from alembic import command
    from sqlalchemy import text

    from portal.core.db import dispose_engines
    from portal.core.migrate import alembic_config, upgrade

    from factories import institution

    inst_id = institution(db).id
    db.commit()
    db.close()
    dispose_engines()

    def triggers_work(conn) -> tuple[int, int]:
        before = conn.scalar(text("SELECT records_version FROM institutions WHERE id = :i"),
                             {"i": inst_id})
        ref = conn.scalar(text("SELECT n FROM reference_version"))
        conn.execute(text("UPDATE institutions SET beds_total = beds_total + 1 WHERE id = :i"),
                     {"i": inst_id})
        conn.execute(text("UPDATE streets SET name = name || '新'"))
        after = conn.scalar(text("SELECT records_version FROM institutions WHERE id = :i"),
                            {"i": inst_id})
        return after - before, conn.scalar(text("SELECT n FROM reference_version")) - ref

    command.downgrade(alembic_config(database_url), "0022")
    with get_engine(database_url).begin() as conn:
        for table in ("institutions", "streets"):
            assert "latitude" not in {c["name"] for c in inspect(conn).get_columns(table)}
        assert triggers_work(conn)[0] > 0 and triggers_work(conn)[1] > 0
    dispose_engines()
    upgrade(database_url)
    with get_engine(database_url).begin() as conn:
        conn.execute(text("UPDATE institutions SET latitude = 30.5, longitude = 114.3"))
        assert triggers_work(conn)[0] > 0 and triggers_work(conn)[1] > 0
        assert conn.execute(text("SELECT latitude, longitude FROM institutions")).one() == (
            30.5, 114.3)
    dispose_engines()
