"""The institutions kind: rows checked against the city's districts and streets, upserted by
统一社会信用代码 (portal/registry/rules/imports.py), each row written recorded with its values
before (portal/registry/services/running.py runs the passes)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table as SqlTable
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from portal.institutions.models import Institution
from portal.orgs.models import District, Street
from portal.registry.models import Import
from portal.registry.rules import imports
from portal.registry.rules.rollback import plain
from portal.registry.services.running import CHUNK, Outcome, Writing, import_file, record_changes
from search.rules.pinyin import name_keys


def places(db: Session) -> imports.Places:
    districts: dict[str, tuple[int, dict[str, int]]] = {
        name: (district_id, {}) for district_id, name in db.execute(
            select(District.id, District.name))}
    by_id = {district_id: streets for district_id, streets in districts.values()}
    for district_id, street_id, name in db.execute(
            select(Street.district_id, Street.id, Street.name)):
        by_id[district_id][name] = street_id
    return imports.Places(districts)


def _stored(db: Session, codes: list[str]) -> dict[str, dict[str, Any]]:
    columns = [getattr(Institution, name) for name in imports.STORED_FIELDS]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start:start + CHUNK]
        for row in db.execute(select(Institution.id, *columns)
                              .where(Institution.credit_code.in_(chunk))):
            values = row._asdict()
            found[values["credit_code"]] = values
    return found


def label(values: dict[str, Any]) -> str:
    return f"{values['name']}（{values['credit_code']}）"[:120]


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {name: plain(value) for name, value in values.items()}


@dataclass(frozen=True)
class InstitutionsKind:
    code: str = "institutions"
    label: str = "养老机构名录"
    sheet: str = "养老机构"
    columns: tuple[imports.Column, ...] = imports.COLUMNS
    not_kept: tuple[str, ...] = imports.NOT_KEPT

    def checker(self, db: Session, headers: imports.Headers,
                today: date) -> imports.RowChecker:
        return imports.RowChecker(headers, places(db))

    def settle(self, db: Session, rows: list[imports.Row], outcome: Outcome,
               writing: Writing | None) -> None:
        _settle(db, rows, outcome, writing)


KIND = InstitutionsKind()


def _settle(db: Session, rows: list[imports.Row], outcome: Outcome,
            writing: Writing | None) -> None:
    """Compare a chunk of valid rows with the stored institutions; write them if `writing`."""
    stored = _stored(db, [row.code for row in rows])
    added: list[dict[str, Any]] = []
    updated: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (changes, stored before)
    for row in rows:
        old = stored.get(row.code)
        if old is None:
            added.append(imports.new_values(row))
            continue
        changes = imports.changed_values(row, old)
        if changes:
            updated.append((changes, old))
        else:
            outcome.unchanged += 1
    outcome.added += len(added)
    outcome.updated += len(updated)
    if writing is None:
        return
    now = writing.now
    for values in added:
        values.update(**name_keys(values["name"]), created_at=now,
                      updated_at=now)
    new_ids: dict[str | None, int] = {}
    if added:
        # Core, without RETURNING: the ORM's bulk insert splices each batch's returned rows onto
        # the earlier ones, quadratic in the rows, and Core's (one INSERT of many VALUES) took
        # half as long again as this plain insert and a lookup of the new ids by their codes.
        db.execute(insert(cast(SqlTable, Institution.__table__)), added)
        new_ids = {code: row_id for code, row_id in db.execute(
            select(Institution.credit_code, Institution.id).where(
                Institution.credit_code.in_([values["credit_code"] for values in added])))}
    log: list[dict[str, Any]] = []
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for changes, old in updated:
        log.append({"table_name": "institutions", "row_id": old["id"], "action": "updated",
                    "label": label(old | changes),
                    "before": _plain({name: old[name] for name in changes}),
                    "after": _plain(changes)})
        if "name" in changes:
            changes.update(name_keys(changes["name"]))
        changes["updated_at"] = now
        changes["id"] = old["id"]
        groups.setdefault(tuple(sorted(changes)), []).append(changes)
    for batch in groups.values():
        db.execute(update(Institution), batch)
    for values in added:
        kept = {name: values[name] for name in imports.STORED_FIELDS if name in values}
        log.append({"table_name": "institutions", "row_id": new_ids[values["credit_code"]],
                    "action": "added", "label": label(values), "before": None,
                    "after": _plain({k: v for k, v in kept.items() if k != "credit_code"})})
    record_changes(db, writing, log)
    outcome.changed_ids.update(entry["row_id"] for entry in log)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_institutions(db: Session, path: Path, *, dry_run: bool = False,
                        valid_only: bool = False,
                        username: str | None = None) -> tuple[Outcome, Import]:
    """The institutions file at `path`, as `portal import institutions` runs it."""
    mode = "dry_run" if dry_run else "valid_only" if valid_only else "import"
    return import_file(db, KIND, path, mode=mode, sha256=sha256_of(path), username=username)
