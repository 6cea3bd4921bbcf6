"""Migration 0031 on rows already there, on SQLite and PostgreSQL: every institution gets its
pinyin order key (search/rules/pinyin.py: sort_key), the directory's indexes move to it, and
the downgrade drops the column and gives the (district, kind, name) indexes back."""

from __future__ import annotations

from sqlalchemy import inspect, select

from portal.institutions.models import Institution
from search.rules.pinyin import sort_key

from factories import district, institution

NAMES = ["幸福颐养院", "成都路养老院", "长青老年公寓", "爱心护理院"]


def _indexes(db) -> set[str]:
    return {i["name"] for i in inspect(db.get_bind()).get_indexes("institutions")}


def test_migration_0031_fills_the_pinyin_key_of_every_institution(db, env):
    from alembic import command

    from portal.core.migrate import alembic_config, upgrade

    d = district(db)
    ids = [institution(db, district_=d, name=name).id for name in NAMES]
    db.commit()
    db.close()
    command.downgrade(alembic_config(env), "0022")
    assert "name_pinyin" not in {c["name"] for c in
                                 inspect(db.get_bind()).get_columns("institutions")}
    assert "ix_institutions_district_kind_name" in _indexes(db)
    db.close()
    upgrade(env)

    keys = {i: key for i, key in db.execute(select(Institution.id, Institution.name_pinyin))}
    assert [keys[i] for i in ids] == [sort_key(name) for name in NAMES]
    ordered = db.scalars(select(Institution.name).where(Institution.id.in_(ids))
                         .order_by(Institution.name_pinyin)).all()
    assert ordered == ["爱心护理院", "长青老年公寓", "成都路养老院", "幸福颐养院"]
    indexes = _indexes(db)
    assert {"ix_institutions_district_kind_pinyin", "ix_institutions_district_pinyin",
            "ix_institutions_name_pinyin"} <= indexes
    assert "ix_institutions_district_kind_name" not in indexes
    db.close()
