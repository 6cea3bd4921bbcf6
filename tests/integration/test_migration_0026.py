"""Migration 0026 (unregistered places' follow-ups): down drops the table and keeps the
places (institutions rows with their discovery), up creates it again and it takes rows."""

from __future__ import annotations

from datetime import date

from alembic import command
from sqlalchemy import inspect, text

from portal.core.db import dispose_engines, get_engine
from portal.core.migrate import alembic_config, upgrade

from factories import district, institution


def test_0026_down_and_up(db, database_url):
    place = institution(db, district(db), filing_status="unregistered",
                        discovered_on=date(2025, 8, 8), discovered_via="inspection")
    db.commit()
    place_id = place.id
    db.close()
    dispose_engines()
    command.downgrade(alembic_config(database_url), "0024")
    engine = get_engine(database_url)
    assert "place_follow_ups" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT discovered_on FROM institutions WHERE id = :i"),
                           {"i": place_id}) is not None
    dispose_engines()
    upgrade(database_url)
    with get_engine(database_url).begin() as conn:
        conn.execute(text("INSERT INTO place_follow_ups (institution_id, outcome, decided_on, "
                          "note, recorded_at) VALUES (:i, 'banned', '2025-09-01', '取缔', "
                          "'2025-09-01 00:00:00+00:00')"), {"i": place_id})
        assert conn.scalar(text("SELECT outcome FROM place_follow_ups")) == "banned"
