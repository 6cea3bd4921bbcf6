"""The government-records kinds (grades, inspections, penalties, credit list entries): rows
checked by the government forms (portal/registry/rules/records.py), then against the database —
the institution by its credit code, the department by its name (and whether that office could
have made such a record: portal/institutions/rules/jurisdiction.py), a number already used for
another institution, the red list's blockers — and upserted by the record's own number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from portal.core.settings import get_settings
from portal.institutions.models import CreditEntry, Grade, Inspection, Institution, Penalty
from portal.institutions.rules.credit import refusal_message
from portal.institutions.services import reach
from portal.institutions.services.credit_status import credit_statuses
from portal.institutions.services.records import _note_discovery
from portal.orgs.models import Department
from portal.registry.rules import imports
from portal.registry.rules import records as rules
from portal.registry.rules.rollback import plain
from portal.registry.services.running import Outcome, Writing, record_changes

MODELS: dict[str, Any] = {"grades": Grade, "inspections": Inspection, "penalties": Penalty,
                          "credit_entries": CreditEntry}


class RecordChecker(rules.RecordChecker):
    def __init__(self, kind: rules.RecordKind, headers: imports.Headers, today: date,
                 departments: dict[str, Department]) -> None:
        super().__init__(kind, headers, today)
        self.departments = departments


@dataclass(frozen=True)
class RecordsKind:
    spec: rules.RecordKind

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def sheet(self) -> str:
        return self.spec.label

    @property
    def columns(self) -> tuple[imports.Column, ...]:
        return self.spec.columns

    @property
    def not_kept(self) -> tuple[str, ...]:
        return ()

    def checker(self, db: Session, headers: imports.Headers,
                today: date) -> imports.RowChecker:
        departments = {d.name: d for d in db.scalars(select(Department))}
        return RecordChecker(self.spec, headers, today, departments)

    def settle(self, db: Session, rows: list[imports.Row], outcome: Outcome,
               writing: Writing | None) -> None:
        _settle(db, self.spec, rows, outcome, writing)


GRADES, INSPECTIONS, PENALTIES, CREDIT = (RecordsKind(spec) for spec in rules.KINDS)


def _header(spec: rules.RecordKind, name: str) -> str:
    return next(c.header for c in spec.columns if c.field == name)


def _label(spec: rules.RecordKind, row: imports.Row) -> str:
    return f"{spec.label} {_header(spec, spec.key)} {row.code}"[:120]


def _resolve(db: Session, spec: rules.RecordKind, rows: list[imports.Row],
             checker: RecordChecker) -> list[tuple[imports.Row, dict[str, Any], Institution]]:
    """Each row's values as the record takes them, with its institution; rows naming an
    unknown institution or department, or one that could not have made it, rejected."""
    codes = {row.values["credit_code"] for row in rows}
    institutions = {inst.credit_code: inst for inst in db.scalars(
        select(Institution).where(Institution.credit_code.in_(codes)))}
    good = []
    for row in rows:
        inst = institutions.get(row.values["credit_code"])
        if inst is None:
            checker.reject(row, "统一社会信用代码", "本平台没有该信用代码的机构，请先导入机构名录")
            continue
        values = {name: value for name, value in row.values.items()
                  if name not in ("credit_code", "department")}
        if "department" in row.values:
            dept = checker.departments.get(row.values["department"])
            header = next(c.header for c in spec.columns if c.field == "department")
            if dept is None:
                checker.reject(row, header, f"本平台没有该部门：{row.values['department']}")
                continue
            if spec.reach in ("inspection", "penalty"):
                found = reach.office_decision(db, dept, spec.reach, inst, checker.today)
                if not found.allowed:
                    checker.reject(row, header, f"不能以{dept.name}的名义录入：{found.reason}")
                    continue
            values["department_id"] = dept.id
        good.append((row, values, inst))
    return good


def _red_list_blockers(db: Session, checker: RecordChecker,
                       rows: list[tuple[imports.Row, dict[str, Any], Institution]],
                       stored: dict[str, dict[str, Any]]) -> list:
    """A new red-list entry is refused to an institution with a credit blocker
    (portal/institutions/rules/credit.py), as the entry form refuses it."""
    red = [item for item in rows if item[1].get("list_type") == "red"
           and stored.get(item[0].code, {}).get("list_type") != "red"]
    if not red:
        return rows
    settings = get_settings()
    statuses = credit_statuses(db, {inst.id for _, _, inst in red}, checker.today,
                               settings.credit_lookback_days, settings.timezone)
    refused = set()
    for row, _, inst in red:
        if statuses[inst.id].blockers:
            checker.reject(row, "名单类型", refusal_message(statuses[inst.id].blockers))
            refused.add(row.number)
    return [item for item in rows if item[0].number not in refused]


DISCOVERY = ("discovered_on", "discovered_by", "discovered_via")


def _discoveries(db: Session, checker: RecordChecker, added: list[dict[str, Any]],
                 institutions: dict[int, Institution]) -> list[dict[str, Any]]:
    """An unfiled place without a recorded discovery was found by the inspection that is
    added, as when it is entered by form (records._note_discovery: indicator 2.6 counts from
    that date); the institution's change is recorded for rollback like the import's own."""
    by_id = {dept.id: dept for dept in checker.departments.values()}
    log = []
    for values in sorted(added, key=lambda v: v["inspected_on"]):
        inst = institutions[values["institution_id"]]
        before = {name: getattr(inst, name) for name in DISCOVERY}
        _note_discovery(inst, values["inspected_on"], by_id.get(values["department_id"]))
        after = {name: getattr(inst, name) for name in DISCOVERY}
        if after != before:
            log.append({"table_name": "institutions", "row_id": inst.id, "action": "updated",
                        "label": f"{inst.name}（{inst.credit_code}）"[:120],
                        "before": {k: plain(v) for k, v in before.items()},
                        "after": {k: plain(v) for k, v in after.items()}})
    db.flush()
    return log


def _settle(db: Session, spec: rules.RecordKind, rows: list[imports.Row], outcome: Outcome,
            writing: Writing | None) -> None:
    checker = outcome.checker
    assert isinstance(checker, RecordChecker)
    model = MODELS[spec.table]
    key = getattr(model, spec.key)
    fields = ["institution_id", *spec.fields, *(["department_id"] if spec.reach != "grade"
                                                else [])]
    stored = {values[spec.key]: values for values in (
        r._asdict() for r in db.execute(
            select(model.id, key, *(getattr(model, f) for f in fields))
            .where(key.in_([row.code for row in rows]))))}
    resolved = _resolve(db, spec, rows, checker)
    if spec.table == "credit_entries":
        resolved = _red_list_blockers(db, checker, resolved, stored)
    added: list[dict[str, Any]] = []
    updated: list[tuple[dict[str, Any], dict[str, Any], imports.Row]] = []
    for row, values, inst in resolved:
        values["institution_id"] = inst.id
        old = stored.get(row.code)
        if old is None:
            added.append(values | ({} if spec.key == "decision_no" else {spec.key: row.code}))
            continue
        if old["institution_id"] != inst.id:
            checker.reject(row, _header(spec, spec.key),
                           f"该编号已用于另一家机构的{spec.label}记录，请核对")
            continue
        changes = {name: value for name, value in values.items()
                   if name in fields and old.get(name) != value}
        if changes:
            updated.append((changes, old, row))
        else:
            outcome.unchanged += 1
    outcome.added += len(added)
    outcome.updated += len(updated)
    if writing is None:
        return
    log: list[dict[str, Any]] = []
    for changes, old, row in updated:
        db.execute(update(model).where(model.id == old["id"]).values(**changes))
        log.append({"table_name": spec.table, "row_id": old["id"], "action": "updated",
                    "label": _label(spec, row),
                    "before": {name: plain(old[name]) for name in changes},
                    "after": {name: plain(value) for name, value in changes.items()}})
        outcome.changed_ids.add(old["institution_id"])
    if spec.table == "inspections":
        log += _discoveries(db, checker, added, {inst.id: inst for _, _, inst in resolved})
    for values in added:
        values.update(recorded_by_id=writing.actor_id, recorded_at=writing.now)
        new_id = db.execute(insert(model).values(**values).returning(model.id)).scalar_one()
        log.append({"table_name": spec.table, "row_id": new_id, "action": "added",
                    "label": f"{spec.label} {_header(spec, spec.key)} {values[spec.key]}"[:120],
                    "before": None,
                    "after": {name: plain(values[name]) for name in fields if name in values}})
        outcome.changed_ids.add(values["institution_id"])
    record_changes(db, writing, log)
