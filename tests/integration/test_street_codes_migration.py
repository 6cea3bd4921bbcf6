"""Migration 0027 on rows already there, on SQLite and PostgreSQL: streets keep their rows and
their triggers (reference_version still moves) through the downgrade and the upgrade, and the
code column comes and goes."""

from __future__ import annotations

from sqlalchemy import inspect, select, text

from portal.orgs.models import District, Street


def _version(db) -> int:
    return db.execute(text("SELECT n FROM reference_version")).scalar_one()


def _columns(db) -> set[str]:
    return {c["name"] for c in inspect(db.get_bind()).get_columns("streets")}


def test_migration_0027_adds_and_drops_street_codes(db, env):
    from alembic import command

    from portal.core.migrate import alembic_config, upgrade

    district = District(code="330201", name="青溪区")
    db.add(district)
    db.flush()
    db.add(Street(district_id=district.id, name="青溪街道", code="330201001"))
    db.commit()
    db.close()

    command.downgrade(alembic_config(env), "0022")
    assert "code" not in _columns(db)
    assert db.execute(text("SELECT name FROM streets")).scalars().all() == ["青溪街道"]
    before = _version(db)
    db.execute(text("INSERT INTO streets (district_id, name) VALUES (:d, '柳塘街道')"),
               {"d": district.id})
    db.commit()
    assert _version(db) > before  # the trigger (migration 0013) survived the drop
    db.close()

    upgrade(env)
    assert "code" in _columns(db)
    assert dict(db.execute(select(Street.name, Street.code)).all()) == {
        "青溪街道": None, "柳塘街道": None}
