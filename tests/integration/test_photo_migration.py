"""Migration 0029 on SQLite and PostgreSQL: the complaint_photos table comes and goes with the
migration (a downgrade drops the photos with it), the complaints stay, and the upgrade again
gives an empty table the models agree with."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select

from complaints.models import Complaint, ComplaintPhoto
from complaints.rules.intake import ComplaintInput
from complaints.rules.photos import Photo
from complaints.services.filing import build_services
from complaints.services.photos import PhotoService
from portal.core.settings import get_settings

from factories import department, district, institution


def test_migration_0029_adds_and_removes_the_photo_table(db, env):
    from alembic import command

    from portal.core.migrate import alembic_config, upgrade

    d = district(db)
    department(db, "civil_affairs", d)
    inst = institution(db, district_=d)
    intake, _ = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="web", category_code="service_quality", institution_id=inst.id,
        description="照片迁移测试", complainant_phone="13912345678"))
    PhotoService(db).attach(complaint, [Photo(b"\xff\xd8one", 1, 1)])
    db.commit()
    db.close()

    config = alembic_config(env)
    before = ScriptDirectory.from_config(config).get_revision("0029").down_revision
    command.downgrade(config, before)
    engine = db.get_bind()
    assert "complaint_photos" not in inspect(engine).get_table_names()
    assert db.scalar(select(func.count()).select_from(Complaint)) == 1
    db.close()

    upgrade(env)
    assert "complaint_photos" in inspect(engine).get_table_names()
    assert db.scalar(select(func.count()).select_from(ComplaintPhoto)) == 0
    assert {ix["name"] for ix in inspect(engine).get_indexes("complaint_photos")} >= {
        "ix_complaint_photos_complaint_id"}
