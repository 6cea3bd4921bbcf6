"""Migration 0026 (unregistered places' follow-ups, merged records): down drops the tables and
keeps the places (institutions rows with their discovery), up creates them again and they take
rows."""

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
    assert not {"place_follow_ups", "institution_merges"} & set(inspect(engine).get_table_names())
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
        conn.execute(text("INSERT INTO institution_merges (merged_id, institution_id, merged_on, "
                          "reason, recorded_at) VALUES (99, :i, '2025-09-01', '重复', "
                          "'2025-09-01 00:00:00+00:00')"), {"i": place_id})
        assert conn.scalar(text("SELECT institution_id FROM institution_merges")) == place_id
