"""Migration 0028 on SQLite and PostgreSQL: down to 0030 (its parent) and up again with records already there
— the imports tables go and come back, `record_no` is dropped and added back without touching
the records' other values or the records_version triggers (0009), and is unique again."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from portal.institutions.models import Grade, Institution

from factories import institution


def test_migration_0028_goes_down_and_up_keeping_the_records(db, env):
    from datetime import date

    from alembic import command

    from portal.core.migrate import alembic_config, upgrade

    home = institution(db)
    db.add(Grade(institution_id=home.id, level=3, awarded_by="民政局",
                 awarded_on=date(2025, 1, 1), record_no="评-1"))
    db.commit()
    db.close()
    command.downgrade(alembic_config(env), "0030")
    names = inspect(db.get_bind()).get_table_names()
    assert "imports" not in names and "import_changes" not in names
    assert "record_no" not in {c["name"] for c in inspect(db.get_bind()).get_columns("grades")}
    upgrade(env)
    db.close()
    assert {"imports", "import_changes"} <= set(inspect(db.get_bind()).get_table_names())
    grade = db.scalars(select(Grade)).one()
    assert (grade.level, grade.record_no) == (3, None)
    version = db.scalar(select(Institution.records_version).where(Institution.id == home.id))
    grade.record_no = "评-2"
    db.commit()
    assert db.scalar(select(Institution.records_version)
                     .where(Institution.id == home.id)) > version  # the trigger still fires
    db.add(Grade(institution_id=home.id, level=1, awarded_by="局", awarded_on=date(2025, 2, 1),
                 record_no="评-2"))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()
