"""Public lists: red list, black list, recent penalties, recent inspections, unregistered places.

Each list is paginated, newest first, and every row carries its date and source department.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from portal.institutions.models import CreditEntry, Inspection, Institution, Penalty

PER_PAGE = 20

LISTS = {
    "red": "红名单",
    "black": "失信联合惩戒对象名单（黑名单）",
    "penalties": "近期行政处罚",
    "inspections": "近期检查结果",
    "unregistered": "未登记/未备案从事养老服务的机构",
}


@dataclass(frozen=True)
class ListPage:
    items: list[Any]  # (record, institution) pairs; UnregisteredRow for the unregistered list
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class UnregisteredRow:
    """A place found operating without registration or filing: when, by whom and how it was
    discovered (recorded on the place), and its latest inspection."""

    institution: Institution
    found_on: date | None
    found_by: str
    found_via: str  # vocab.DISCOVERY_CHANNELS code, "" when not recorded
    first_inspected_on: date | None = None  # stands in for found_on when that is unknown
    last_inspected_on: date | None = None
    last_inspected_by: str = ""


class PublicLists:
    def __init__(self, session: Session) -> None:
        self.db = session

    def _paged(self, stmt: Select, page: int) -> ListPage:
        total = self.db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        pages = max(1, -(-total // PER_PAGE))
        page = min(page, pages)
        items = [
            tuple(row) if len(row) > 1 else row[0]
            for row in self.db.execute(stmt.offset((page - 1) * PER_PAGE).limit(PER_PAGE))
        ]
        return ListPage(items=items, total=total, page=page, pages=pages)

    def credit(self, list_type: str, page: int, today: date) -> ListPage:
        """Entries in force: not removed, not expired."""
        stmt = (
            select(CreditEntry, Institution)
            .join(Institution, Institution.id == CreditEntry.institution_id)
            .options(joinedload(CreditEntry.department))
            .where(
                CreditEntry.list_type == list_type,
                CreditEntry.removed_on.is_(None),
                or_(CreditEntry.expires_on.is_(None), CreditEntry.expires_on >= today),
            )
            .order_by(CreditEntry.listed_on.desc(), CreditEntry.id.desc())
        )
        return self._paged(stmt, page)

    def penalties(self, page: int) -> ListPage:
        stmt = (
            select(Penalty, Institution)
            .join(Institution, Institution.id == Penalty.institution_id)
            .options(joinedload(Penalty.department))
            .order_by(Penalty.decided_on.desc(), Penalty.id.desc())
        )
        return self._paged(stmt, page)

    def inspections(self, page: int) -> ListPage:
        stmt = (
            select(Inspection, Institution)
            .join(Institution, Institution.id == Inspection.institution_id)
            .options(joinedload(Inspection.department))
            .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
        )
        return self._paged(stmt, page)

    def unregistered(self, page: int) -> ListPage:
        """Unregistered places and registered-but-unfiled 养老机构, with their latest inspection."""
        # Newest first by the date the place was found; where that was not recorded, its first
        # inspection (it was known by then at the latest), so a place inspected last month is not
        # listed after one found years ago. Places with neither come last.
        first_inspected = (
            select(func.min(Inspection.inspected_on))
            .where(Inspection.institution_id == Institution.id)
            .correlate(Institution)
            .scalar_subquery()
        )
        known_since = func.coalesce(Institution.discovered_on, first_inspected)
        stmt = (
            select(Institution, first_inspected.label("first_inspected"))
            .options(joinedload(Institution.district), joinedload(Institution.street))
            .where(
                or_(
                    Institution.filing_status == "unregistered",
                    (Institution.filing_status == "registered_unfiled")
                    & (Institution.kind == "residential"),
                )
            )
            .order_by(known_since.desc().nulls_last(), Institution.id.desc())
        )
        result = self._paged(stmt, page)
        ids = [i.id for i, _first in result.items]
        latest: dict[int, Inspection] = {}
        if ids:
            for insp in self.db.scalars(
                select(Inspection)
                .options(joinedload(Inspection.department))
                .where(Inspection.institution_id.in_(ids))
                .order_by(Inspection.inspected_on, Inspection.id)
            ):
                latest[insp.institution_id] = insp
        rows = [
            UnregisteredRow(
                institution=i,
                found_on=i.discovered_on,
                found_by=i.discovered_by,
                found_via=i.discovered_via,
                first_inspected_on=first,
                last_inspected_on=latest[i.id].inspected_on if i.id in latest else None,
                last_inspected_by=latest[i.id].department.name if i.id in latest else "",
            )
            for i, first in result.items
        ]
        return ListPage(items=rows, total=result.total, page=result.page, pages=result.pages)
