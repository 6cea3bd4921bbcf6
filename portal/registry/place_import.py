"""`portal import places FILE`: unregistered places from a city's spreadsheet (XLSX or CSV in
UTF-8 or GB18030), every row checked first (portal/registry/rules/place_import.py) and written
only when the whole file is valid or valid rows only are asked for; one audited change.

A place list is hundreds of rows, not a registry of thousands: it is read whole and written
through the ORM; each added or changed place gets its page and search documents rebuilt, as
one added in the back office does (portal/registry/places.py). The runner's signature is the
other import kinds' (db, path, *, dry_run, valid_only, username).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.core import audit
from portal.core.settings import get_settings
from portal.institutions.models import Institution
from portal.registry.institutions import changed
from portal.registry.places import PLACES
from portal.registry.rules import place_import as rules
from portal.registry.rules.imports import NEW_DEFAULTS
from portal.registry.services import Outcome, importer, places, read_table
from search.rules.pinyin import name_keys

log = logging.getLogger(__name__)


def _stored(db: Session) -> dict[rules.Key, rules.Stored]:
    """The places, and the institutions holding a credit code (a row may name one)."""
    columns = [getattr(Institution, name) for name in rules.KEPT]
    is_place = select(Institution.id).where(PLACES).scalar_subquery()
    found: dict[rules.Key, rules.Stored] = {}
    for row in db.execute(select(Institution.id, Institution.id.in_(is_place).label("place"),
                                 *columns)
                          .where(or_(PLACES, Institution.credit_code.is_not(None)))):
        values = row._asdict()
        stored = rules.Stored(values.pop("id"), values["name"], bool(values.pop("place")),
                              values)
        found[rules.key_of(values)] = stored
        if values["credit_code"]:  # a place once found without a code is found by it too
            found.setdefault(("place", values["district_id"], values["name"],
                              values["address"]), stored)
    return found


def import_places(db: Session, path: Path, *, dry_run: bool = False, valid_only: bool = False,
                  username: str | None = None) -> Outcome:
    """Check the whole file and, unless `dry_run`, write it when it is all valid or
    `valid_only` is given. The caller commits."""
    actor_id, actor = importer(db, username)
    table = read_table(path)
    headers = rules.map_headers(table.headers)
    today = datetime.now(get_settings().timezone).date()
    planned = rules.plan(headers, table.rows, places(db), _stored(db), today)
    outcome = Outcome(path.name, table.encoding, planned,
                      [*headers.ignored], added=len(planned.new),
                      updated=len(planned.changed), unchanged=planned.unchanged)
    header_broken = any(p.row <= 1 for p in planned.problems)
    if (dry_run or header_broken or (planned.problems and not valid_only)
            or not (planned.new or planned.changed)):
        return outcome
    ids = _write(db, planned)
    outcome.written = True
    audit.record(db, actor_id, "registry.imported", "places", "", file=outcome.file,
                 encoding=outcome.encoding, rows=planned.total,
                 bad_rows=len(planned.bad_rows), added=len(planned.new),
                 updated=len(planned.changed), unchanged=planned.unchanged, by=actor,
                 institution_ids=ids)
    log.info("places import %s by %s: %d added, %d updated, %d unchanged, %d bad rows",
             outcome.file, actor, len(planned.new), len(planned.changed), planned.unchanged,
             len(planned.bad_rows))
    return outcome


def _write(db: Session, planned: rules.PlacePlan) -> list[int]:
    added = []
    for values in planned.new:
        full: dict[str, Any] = {**NEW_DEFAULTS, **values}
        full["beds_vacant"] = 0
        inst = Institution(**full, **name_keys(values["name"]),
                           operating_status="operating")
        db.add(inst)
        added.append(inst)
    for change in planned.changed:
        stored = db.get(Institution, change["id"])
        assert stored is not None
        for name, value in change.items():
            if name != "id":
                setattr(stored, name, value)
        if "name" in change:
            for column, key in name_keys(stored.name).items():
                setattr(stored, column, key)
    db.flush()
    ids = [inst.id for inst in added] + [change["id"] for change in planned.changed]
    for institution_id in ids:
        changed(db, institution_id)
    return ids
