"""The directory's totals from the trigger-kept `directory_counts` (migration 0011) against
counting the institutions, on SQLite and PostgreSQL, for every combination of the filters they
cover, through ORM writes, bulk SQL, deletes and folds; with or without the closed (终止)
institutions the default directory leaves out (migration 0024 keys the counts by status)."""

from __future__ import annotations

import itertools
import random
from datetime import date

from sqlalchemy import delete, func, select, update

from portal.core.signed_counts import fold, fold_signed_counts
from portal.institutions import vocab
from portal.institutions.models import DirectoryCount, FeeItem, Institution
from portal.institutions.rules.directory_query import DirectoryQuery
from portal.institutions.services.directory import Directory, filtered_ids
from portal.orgs.models import Street

from factories import district, institution

TODAY = date(2026, 12, 1)


def city(db):
    districts = [district(db, name="南湖区"), district(db, name="北山区")]
    streets = [Street(district_id=d.id, name=f"{d.name}{n}街道") for d in districts for n in (1, 2)]
    db.add_all(streets)
    db.flush()
    rng = random.Random(7)
    for _ in range(40):
        d = rng.choice(districts)
        street = rng.choice([s for s in streets if s.district_id == d.id] + [None])
        institution(db, district_=d, street_id=street.id if street else None,
                    kind=rng.choice(list(vocab.KINDS)), nature=rng.choice(list(vocab.NATURES)),
                    filing_status=rng.choice(list(vocab.FILING_STATUSES)),
                    beds_vacant=rng.choice([0, 0, 5]),
                    operating_status=rng.choice(["operating", "operating", "suspended",
                                                 "closed", "preparing"]))
    db.commit()
    return districts, streets


def queries(districts, streets):
    """Every combination of district, street, kind and vacant beds, and each nature and filing
    status on their own and with a district."""
    for d, s, kind, vacant, closed in itertools.product(
            [None, *districts], [None, *streets], [None, *vocab.KINDS], [False, True],
            [False, True]):
        if s is not None and d is not None and s.district_id != d.id:
            continue
        yield DirectoryQuery(district=d and d.id, street=s and s.id, kind=kind, vacant=vacant,
                             closed=closed)
    for d, nature in itertools.product([None, *districts], vocab.NATURES):
        yield DirectoryQuery(district=d and d.id, nature=nature)
    for d, filing in itertools.product([None, *districts], vocab.FILING_STATUSES):
        yield DirectoryQuery(district=d and d.id, filing=filing)


def check(db, districts, streets) -> int:
    db.commit()
    directory = Directory(db)
    checked = 0
    for query in queries(districts, streets):
        ids, values = filtered_ids(query)
        counted = db.scalar(select(func.count()).select_from(ids.subquery()), values)
        assert directory.search(query, 1, TODAY).total == counted, query
        checked += 1
    return checked


def test_directory_totals_follow_every_change_of_an_institution(db):
    districts, streets = city(db)
    assert check(db, districts, streets) > 100
    insts = db.scalars(select(Institution).order_by(Institution.id)).all()
    insts[0].district_id, insts[0].street_id = districts[1].id, streets[3].id
    insts[1].street_id = None
    insts[2].kind, insts[3].nature, insts[4].filing_status = "training", "public", "unregistered"
    insts[5].beds_vacant = 0 if insts[5].beds_vacant else 3
    insts[6].beds_vacant = 7 if insts[6].beds_vacant else 0
    insts[7].name = "改名颐养院"  # not a counted value: no new row
    open_ = [i for i in insts if i.operating_status != "closed"]
    open_[0].operating_status = "closed"  # leaves the default directory
    next(i for i in insts if i.operating_status == "closed" and i is not open_[0]
         ).operating_status = "operating"  # (not done by the lifecycle: closed is final)
    check(db, districts, streets)
    db.execute(update(Institution).where(Institution.id.in_([i.id for i in insts[25:30]]))
               .values(operating_status="closed"))
    check(db, districts, streets)
    db.execute(update(Institution).where(Institution.id.in_([i.id for i in insts[8:20]]))
               .values(kind="community", beds_vacant=0))
    db.execute(delete(FeeItem).where(FeeItem.institution_id == insts[20].id))
    db.execute(delete(Institution).where(Institution.id == insts[20].id))
    check(db, districts, streets)
    before = db.scalar(select(func.count()).select_from(DirectoryCount))
    left = fold(db, "directory_counts")
    check(db, districts, streets)
    keys = select(DirectoryCount.district_id, DirectoryCount.street_id, DirectoryCount.kind,
                  DirectoryCount.nature, DirectoryCount.filing_status,
                  DirectoryCount.vacant, DirectoryCount.operating_status).distinct().subquery()
    assert left == db.scalar(select(func.count()).select_from(keys)) < before
    assert db.scalar(select(func.count()).select_from(DirectoryCount)
                     .where(DirectoryCount.n == 0)) == 0
    institution(db, district_=districts[0], kind="assessment", beds_vacant=0)
    db.commit()
    assert fold_signed_counts()["directory_counts"] == db.scalar(
        select(func.count()).select_from(keys))  # the worker's job, in its own session
    db.expire_all()
    check(db, districts, streets)


def test_filters_the_counts_do_not_cover_count_the_institutions(db):
    districts, streets = city(db)
    medical = db.scalars(select(Institution).limit(3)).all()
    for inst in medical:
        inst.medical_integration = True
        inst.name = "医养" + inst.name
        inst.operating_status = "operating"  # a closed one is left out by default
    db.commit()
    directory = Directory(db)
    assert directory.search(DirectoryQuery(medical=True), 1, TODAY).total == 3
    assert directory.search(DirectoryQuery(q="医养"), 1, TODAY).total == 3
    assert directory.search(DirectoryQuery(district=districts[0].id, medical=True), 1,
                            TODAY).total == sum(i.district_id == districts[0].id for i in medical)
