"""The compare tray: the chosen institutions' names, read for the pages that show the tray."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.institutions.models import Institution
from portal.institutions.rules.compare_selection import MAX_COMPARE


@dataclass(frozen=True)
class Tray:
    """What the tray shows: (id, name) in the order chosen, and a notice ('' for none)."""

    items: list[tuple[int, str]] = field(default_factory=list)
    notice: str = ""
    max: int = MAX_COMPARE

    @property
    def ids(self) -> list[int]:
        return [i for i, _name in self.items]

    @property
    def full(self) -> bool:
        return len(self.items) >= self.max


def load_tray(session: Session, ids: list[int], notice: str = "") -> Tray:
    """The tray for these ids; institutions gone since they were chosen are left out. No
    statement at all for an empty selection (most page views)."""
    if not ids:
        return Tray(notice=notice)
    names = dict(session.execute(
        select(Institution.id, Institution.name).where(Institution.id.in_(ids))).all())
    return Tray([(i, names[i]) for i in ids if i in names], notice)
