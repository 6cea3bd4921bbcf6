"""Migration 0024 (institution operating status): existing institutions are operating and stay
in the trigger-kept directory counts; on the way down closed institutions count again, and the
0011 triggers are back (a change after the downgrade is still counted)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from portal.core.db import dispose_engines, get_engine
from portal.core.migrate import alembic_config, upgrade

from factories import district, institution

COUNTED = "SELECT coalesce(sum(n), 0) FROM directory_counts WHERE district_id = :d"


def _counted(url: str, district_id: int, where: str = "") -> int:
    with get_engine(url).connect() as conn:
        return conn.scalar(text(COUNTED + where), {"d": district_id})


def test_0024_up_and_down_keeps_the_directory_counts(db, database_url):
    home = district(db)
    first, second, _third = (institution(db, district_=home) for _ in range(3))
    db.commit()
    first_id, second_id, home_id = first.id, second.id, home.id
    db.close()
    dispose_engines()
    command.downgrade(alembic_config(database_url), "0022")
    with get_engine(database_url).begin() as conn:  # written before the status existed
        conn.execute(text("UPDATE institutions SET beds_vacant = 0 WHERE id = :i"),
                     {"i": second_id})
    dispose_engines()
    upgrade(database_url)
    assert _counted(database_url, home_id) == 3
    with get_engine(database_url).begin() as conn:
        statuses = conn.execute(text("SELECT DISTINCT operating_status FROM institutions")).all()
        conn.execute(text("UPDATE institutions SET operating_status = 'closed' WHERE id = :i"),
                     {"i": first_id})
    assert [tuple(r) for r in statuses] == [("operating",)]
    assert _counted(database_url, home_id, " AND operating_status <> 'closed'") == 2
    dispose_engines()
    command.downgrade(alembic_config(database_url), "0022")
    assert _counted(database_url, home_id) == 3  # closed counts again without a status
    with get_engine(database_url).begin() as conn:
        conn.execute(text("UPDATE institutions SET kind = 'training' WHERE id = :i"),
                     {"i": second_id})
    assert _counted(database_url, home_id) == 3
    with get_engine(database_url).connect() as conn:
        training = conn.scalar(text("SELECT coalesce(sum(n), 0) FROM directory_counts "
                                    "WHERE district_id = :d AND kind = 'training'"),
                               {"d": home_id})
    assert training == 1
    dispose_engines()
    upgrade(database_url)
