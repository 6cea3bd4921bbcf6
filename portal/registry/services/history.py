"""The imports table at work: an upload queued as a background job (portal/registry/tasks.py,
which runs it by portal/registry/services/jobs.py), and rollback until something depends on the
import (portal/registry/rules/rollback.py decides; this gathers the facts and undoes)."""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, Numeric, delete, func, select, update
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core import audit
from portal.core.db import Base, utcnow
from portal.core.jobs import record_job
from portal.institutions.models import Institution, InstitutionPageDoc
from portal.registry.kinds import UPLOADABLE, undoable
from portal.registry.models import Import, ImportChange
from portal.registry.rules import rollback
from portal.registry.rules.imports import COLUMNS
from portal.registry.rules.records import KINDS as RECORD_KINDS
from portal.registry.services.records import MODELS as RECORD_MODELS
from portal.registry.services.running import refresh_institutions
from portal.registry.tasks import run_import
from search.rules.pinyin import name_keys

log = logging.getLogger(__name__)

MODELS: dict[str, Any] = {"institutions": Institution, **RECORD_MODELS}
# What the rollback page calls a table that refers to a row an import added.
REFERENCE_LABELS = {
    "complaints": "投诉", "grades": "等级评定", "inspections": "检查记录", "penalties": "处罚记录",
    "credit_entries": "信用名单", "fulfilment_assessments": "履约评价", "fee_items": "收费项目",
    "service_resources": "服务资源", "record_revisions": "更正记录", "open_days": "开放日",
    "reviews": "评价", "users": "机构账号", "disclosure_drafts": "公开信息草稿",
    "disclosure_versions": "公开信息版本", "institution_rules": "规章制度",
    "credit_commitments": "信用承诺",
}
# Tables that only hold what is derived from a row (rebuilt or removed with it): no dependency.
DERIVED = frozenset({"institution_page_docs"})
CHUNK = 1000
FIELD_LABELS = {c.field: c.header for c in COLUMNS} | {
    "district_id": "所在区县", "street_id": "乡镇（街道）", "department_id": "部门",
    **{c.field: c.header for kind in RECORD_KINDS for c in kind.columns}}


class ImportRefused(Exception):
    """An import that cannot be started or rolled back: `message` is for the user."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- the upload and the background run -------------------------------------------------------


def queue_upload(db: Session, user: User, kind: str, mode: str, file_name: str,
                 content: bytes, parent_id: int | None = None) -> Import:
    """Record an uploaded file as an import and its background job (run after the commit)."""
    if kind not in UPLOADABLE:
        raise ImportRefused("没有这种导入类型（工作人员账号只能在命令行导入）")
    record = Import(kind=kind, mode=mode, status="queued", file_name=file_name[:200],
                    sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                    content=content, parent_id=parent_id, user_id=user.id,
                    actor=user.username, report={}, error="", rows_total=0, rows_bad=0,
                    added=0, updated=0, unchanged=0)
    db.add(record)
    db.flush()
    record_job(db, run_import, record.id)
    return record


def queue_again(db: Session, user: User, parent_id: int, mode: str) -> Import:
    """The file of a finished dry run (or of an import refused for its bad rows) imported, or
    its valid rows only."""
    parent = db.get(Import, parent_id)
    if parent is None or parent.content is None:
        raise ImportRefused("找不到该次导入的文件，请重新上传")
    if parent.status not in ("checked", "rejected"):
        raise ImportRefused("只有检查完成或因错误未写入的导入可以再次导入")
    return queue_upload(db, user, parent.kind, mode, parent.file_name, parent.content, parent.id)


# --- rollback -----------------------------------------------------------------------------


def _chunks(ids: list[int]) -> list[list[int]]:
    """Ids a statement at a time (SQLite takes at most 32,766 parameters in one)."""
    return [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]


def _references(db: Session, table: str, ids: list[int]) -> dict[int, dict[str, int]]:
    """For rows of `table`: how many rows of each other table refer to each (foreign keys)."""
    found: dict[int, dict[str, int]] = {i: {} for i in ids}
    if not ids:
        return found
    for other in Base.metadata.sorted_tables:
        if other.name in DERIVED:
            continue
        for fk in other.foreign_keys:
            if fk.column.table.name != table or fk.column.name != "id":
                continue
            column = fk.parent
            what = REFERENCE_LABELS.get(other.name, other.name)
            for chunk in _chunks(ids):
                for row_id, n in db.execute(select(column, func.count()).where(
                        column.in_(chunk)).group_by(column)):
                    found[row_id][what] = found[row_id].get(what, 0) + n
    return found


def written_rows(db: Session, record: Import) -> tuple[list[ImportChange], list[rollback.WrittenRow]]:
    """The rows the import wrote, each with how it is now (for the rule)."""
    changes = list(db.scalars(select(ImportChange).where(ImportChange.import_id == record.id)
                              .order_by(ImportChange.id)))
    by_table: dict[str, list[ImportChange]] = {}
    for change in changes:
        by_table.setdefault(change.table_name, []).append(change)
    facts: dict[int, rollback.WrittenRow] = {}
    for table, group in by_table.items():
        model = MODELS[table]
        ids = [c.row_id for c in group]
        names = sorted({name for c in group for name in c.after})
        now: dict[int, dict[str, Any]] = {}
        later: dict[int, list[int]] = {}
        for chunk in _chunks(ids):
            now |= {row.id: row._asdict() for row in db.execute(
                select(model.id, *(getattr(model, n) for n in names))
                .where(model.id.in_(chunk)))}
            for row_id, import_id in db.execute(
                    select(ImportChange.row_id, ImportChange.import_id)
                    .join(Import, Import.id == ImportChange.import_id)
                    .where(ImportChange.table_name == table, ImportChange.row_id.in_(chunk),
                           ImportChange.import_id > record.id, Import.status == "done")):
                later.setdefault(row_id, []).append(import_id)
        refs = _references(db, table, [c.row_id for c in group if c.action == "added"])
        for c in group:
            current = now.get(c.row_id)
            facts[c.id] = rollback.WrittenRow(
                c.label, c.action, c.after,
                None if current is None else {n: rollback.plain(current[n]) for n in c.after},
                tuple(sorted(set(later.get(c.row_id, [])))), refs.get(c.row_id, {}))
    return changes, [facts[c.id] for c in changes]


def decision(db: Session, record: Import) -> rollback.Decision:
    _, rows = written_rows(db, record)
    return rollback.decide(record.status, rows, FIELD_LABELS, undoable=undoable(record.kind))


def _revive(model: Any, name: str, value: Any) -> Any:
    """A JSON-plain value back to the column's type."""
    if value is None:
        return None
    kind = model.__table__.c[name].type
    if isinstance(kind, Date) and not isinstance(kind, DateTime):
        return date.fromisoformat(value)
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Numeric):
        return Decimal(value)
    return value


def roll_back(db: Session, import_id: int, user: User) -> Import:
    """Undo an import: write back the before-values of the rows it updated, delete the rows it
    added; audited; the pages and search documents of the institutions touched follow. The
    caller commits. Refused (ImportRefused) while something depends on it."""
    record = db.scalar(select(Import).where(Import.id == import_id).with_for_update())
    if record is None:
        raise ImportRefused("没有这次导入")
    changes, rows = written_rows(db, record)
    found = rollback.decide(record.status, rows, FIELD_LABELS, undoable=undoable(record.kind))
    if not found.allowed:
        raise ImportRefused("不能撤销：" + "；".join(found.lines))
    touched: set[int] = set()
    for table in {change.table_name for change in changes}:
        model = MODELS[table]
        ids = [c.row_id for c in changes if c.table_name == table]
        for chunk in _chunks(ids):
            touched.update(chunk if model is Institution else db.scalars(
                select(model.institution_id).where(model.id.in_(chunk))))
        # Updates written back in batches of one shape (by primary key), as the import wrote.
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for change in changes:
            if change.table_name != table or change.action != "updated":
                continue
            values = {n: _revive(model, n, v) for n, v in (change.before or {}).items()}
            if model is Institution and "name" in values:
                values.update(name_keys(values["name"]))
            groups.setdefault(tuple(sorted(values)), []).append(values | {"id": change.row_id})
        for batch in groups.values():
            db.execute(update(model), batch)
        added = [c.row_id for c in changes if c.table_name == table and c.action == "added"]
        for chunk in _chunks(added):
            if model is Institution:
                db.execute(delete(InstitutionPageDoc).where(
                    InstitutionPageDoc.institution_id.in_(chunk)))
            db.execute(delete(model).where(model.id.in_(chunk)))
    record.status, record.rolled_back_at, record.rolled_back_by_id = (
        "rolled_back", utcnow(), user.id)
    audit.record(db, user.id, "registry.rolled_back", record.kind, record.id,
                 file=record.file_name, rows=len(changes), by=user.username)
    refresh_institutions(db, touched)
    return record
