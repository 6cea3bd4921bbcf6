"""Read-side queries for the public directory and the institution page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal.institutions.models import (
    CreditEntry,
    FeeItem,
    Grade,
    Inspection,
    Institution,
    Penalty,
    ServiceResources,
)
from search.index import Suggestion, suggest


@dataclass(frozen=True)
class DirectoryFilter:
    district_id: int | None = None
    kind: str | None = None
    q: str = ""


@dataclass(frozen=True)
class Page:
    items: list[Institution]
    total: int
    page: int
    pages: int


class InstitutionQueries:
    def __init__(self, session: Session) -> None:
        self.db = session

    def directory(self, flt: DirectoryFilter, page: int, per_page: int = 20) -> Page:
        stmt = select(Institution)
        if flt.district_id:
            stmt = stmt.where(Institution.district_id == flt.district_id)
        if flt.kind:
            stmt = stmt.where(Institution.kind == flt.kind)
        if flt.q:
            stmt = stmt.where(Institution.name.contains(flt.q, autoescape=True))
        total = self.db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        pages = max(1, -(-total // per_page))
        page = min(page, pages)
        items = self.db.scalars(
            stmt.options(joinedload(Institution.district), joinedload(Institution.street))
            .order_by(Institution.name, Institution.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        return Page(items=list(items), total=total, page=page, pages=pages)

    def picker_choices(self, q: str, chosen_id: int | None = None,
                       index_dir: Path | None = None) -> list[Suggestion]:
        """The complaint forms' institution picker: type-ahead matches, the chosen one first."""
        found = suggest(self.db, q, 10, index_dir=index_dir) if q.strip() else []
        if chosen_id and all(s.id != chosen_id for s in found):
            inst = self.get(chosen_id)
            if inst is not None:
                found.insert(0, Suggestion(inst.id, inst.name, inst.district.name, inst.address))
        return found

    def get(self, institution_id: int) -> Institution | None:
        return self.db.get(
            Institution,
            institution_id,
            options=[joinedload(Institution.district), joinedload(Institution.street)],
        )

    def current_fees(self, institution_id: int) -> list[FeeItem]:
        return list(
            self.db.scalars(
                select(FeeItem)
                .where(FeeItem.institution_id == institution_id, FeeItem.effective_to.is_(None))
                .order_by(FeeItem.id)
            )
        )

    def resources(self, institution_id: int) -> ServiceResources | None:
        return self.db.scalars(
            select(ServiceResources)
            .where(ServiceResources.institution_id == institution_id)
            .order_by(ServiceResources.effective_from.desc())
            .limit(1)
        ).first()

    def latest_grade(self, institution_id: int) -> Grade | None:
        return self.db.scalars(
            select(Grade)
            .where(Grade.institution_id == institution_id)
            .order_by(Grade.awarded_on.desc())
            .limit(1)
        ).first()

    def inspections(self, institution_id: int) -> list[Inspection]:
        return list(
            self.db.scalars(
                select(Inspection)
                .options(joinedload(Inspection.department))
                .where(Inspection.institution_id == institution_id)
                .order_by(Inspection.inspected_on.desc())
            )
        )

    def penalties(self, institution_id: int) -> list[Penalty]:
        return list(
            self.db.scalars(
                select(Penalty)
                .options(joinedload(Penalty.department))
                .where(Penalty.institution_id == institution_id)
                .order_by(Penalty.decided_on.desc())
            )
        )

    def credit_entries(self, institution_id: int) -> list[CreditEntry]:
        return list(
            self.db.scalars(
                select(CreditEntry)
                .options(joinedload(CreditEntry.department))
                .where(CreditEntry.institution_id == institution_id)
                .order_by(CreditEntry.listed_on.desc())
            )
        )
