"""Read-side queries shared by the directory, the institution page and the complaint forms."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.institutions.models import Institution
from portal.orgs.models import District
from search.index import Suggestion, suggest


class InstitutionQueries:
    def __init__(self, session: Session) -> None:
        self.db = session

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

    def districts(self) -> list[District]:
        """Every district with its streets (for the directory's selects)."""
        return list(
            self.db.scalars(
                select(District).options(selectinload(District.streets)).order_by(District.id)
            )
        )

    def names(self, ids: list[int]) -> dict[int, str]:
        rows = self.db.execute(select(Institution.id, Institution.name).where(Institution.id.in_(ids)))
        return {row.id: row.name for row in rows}
