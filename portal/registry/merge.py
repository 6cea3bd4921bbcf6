"""Merging a duplicate institution record into the surviving one (issue 20): the duplicate's
records move to the survivor (portal/registry/rules/merge.py says which, and what is retired),
the survivor takes the registry fields it lacks, the duplicate row is deleted, and the whole
merge is one audit event holding the duplicate's row and what moved. Triggers raise the page
versions and keep the directory counts; jobs rebuild the survivor's documents and drop the
duplicate's search document. The duplicate's id is kept (`InstitutionMerge`): its old page
address leads to the survivor.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import CursorResult, column, delete, inspect, select, table, update
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core import audit
from portal.core.db import utcnow
from portal.institutions.models import Institution
from portal.institutions.tasks import enqueue_refresh
from portal.registry.exceptions import InvalidEntry
from portal.registry.forms import MergeForm
from portal.registry.lifecycle import institution, require_keeper
from portal.registry.models import InstitutionMerge
from portal.registry.rules import merge as rules
from search.tasks import enqueue_index_update


def _row(inst: Institution) -> dict[str, Any]:
    return {c.key: getattr(inst, c.key) for c in inspect(Institution).column_attrs}


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else
            (str(v) if v is not None and not isinstance(v, int | str | bool) else v)
            for k, v in values.items()}


def merge(db: Session, actor: User, survivor_id: int, data: Any, today: date) -> dict[str, int]:
    """Merge the form's duplicate into `survivor_id`; returns the rows moved per table."""
    survivor = institution(db, survivor_id)
    require_keeper(actor, survivor)
    form = MergeForm(data)
    form.validate()
    problems = rules.merge_problems(survivor.id, form.duplicate_id.data, form.reason.data)
    for name, message in problems.items():
        if not form.failed(name):
            form.fail(name, message)
    if form.problems:
        raise InvalidEntry(form.problems)
    duplicate = db.get(Institution, form.duplicate_id.data)
    if duplicate is None:
        raise InvalidEntry({"duplicate_id": f"没有编号为 {form.duplicate_id.data} 的机构"})
    require_keeper(actor, duplicate)
    kept, gone = _row(survivor), _row(duplicate)
    if problem := rules.same_place_problem(kept, gone):
        raise InvalidEntry({"duplicate_id": problem})
    moved = _move(db, survivor.id, duplicate.id, today)
    fill = rules.filled(kept, gone)
    db.expunge(duplicate)
    db.execute(delete(Institution).where(Institution.id == gone["id"]))
    db.flush()
    for name, value in fill.items():  # its credit code is free now
        setattr(survivor, name, value)
    # Complaints, reviews and open days raise no page version of their own: this does.
    survivor.updated_at = utcnow()
    db.flush()
    # SQLite may give a later institution a deleted one's id (the highest id + 1, migration
    # 0001's tables have no AUTOINCREMENT): a merge of that one replaces the old lead.
    db.execute(delete(InstitutionMerge).where(InstitutionMerge.merged_id == gone["id"]))
    db.add(InstitutionMerge(merged_id=gone["id"], institution_id=survivor.id, merged_on=today,
                            reason=form.reason.data, recorded_by_id=actor.id))
    db.flush()
    audit.record(db, actor.id, "institution.merge", "institution", survivor.id,
                 duplicate=_plain(gone), moved=moved, filled=_plain(fill),
                 reason=form.reason.data)
    for institution_id in (survivor.id, gone["id"]):
        enqueue_index_update(db, institution_id)
    enqueue_refresh(db, survivor.id)
    return moved


def _move(db: Session, survivor_id: int, duplicate_id: int, today: date) -> dict[str, int]:
    moved: dict[str, int] = {}
    for name, retire in rules.CURRENT.items():
        t = table(name, column("institution_id"), column(retire))
        has_own = db.execute(select(t.c.institution_id).where(
            t.c.institution_id == survivor_id, t.c[retire].is_(None)).limit(1)).first()
        if has_own:
            db.execute(update(t).where(t.c.institution_id == duplicate_id, t.c[retire].is_(None))
                       .values({retire: today}))
    drafts = table("disclosure_drafts", column("institution_id"), column("status"))
    db.execute(update(drafts).where(drafts.c.institution_id == duplicate_id,
                                    drafts.c.status.in_(("draft", "submitted")))
               .values(status="withdrawn"))
    for name in (*rules.CURRENT, *rules.MOVED):
        t = table(name, column("institution_id"))
        result = db.execute(update(t).where(t.c.institution_id == duplicate_id)
                            .values(institution_id=survivor_id)
                            .execution_options(synchronize_session=False))
        assert isinstance(result, CursorResult)
        if result.rowcount:
            moved[name] = result.rowcount
    return moved


def merged_into(db: Session, institution_id: int) -> int | None:
    """The institution a merged record's id now leads to (None: never merged)."""
    return db.scalar(select(InstitutionMerge.institution_id)
                     .where(InstitutionMerge.merged_id == institution_id))
