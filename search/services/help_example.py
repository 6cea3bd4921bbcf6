"""The search page's pinyin example, taken from the institutions on record so it finds one.

The help said "例如 xfyly（幸福养老院）" whatever the city held: in the demo city, and in any real
one without a 幸福养老院, the example found nothing (issue 21 item 12).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.institutions.models import Institution
from search.rules.typeahead import initials_match

SHORTEST, LONGEST = 4, 8  # initials long enough to look like a name, short enough to type
LOOKED_AT = 20


@dataclass(frozen=True)
class Example:
    initials: str
    name: str


def help_example(session: Session) -> Example | None:
    """The first institution (by id) with 4–8 name initials that its own initials spell."""
    rows = session.execute(
        select(Institution.name_initials, Institution.name)
        .where(func.length(Institution.name_initials).between(SHORTEST, LONGEST))
        .order_by(Institution.id).limit(LOOKED_AT))
    for letters, name in rows:
        if letters.isascii() and letters.isalpha() and initials_match(letters, name):
            return Example(letters, name)
    return None
