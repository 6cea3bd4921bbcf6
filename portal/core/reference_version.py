"""The reference version (migrations 0012, 0013): one number that triggers add one to in the
transaction of any change of the reference data — routing rules, offices, calendar years,
districts, streets — whatever writes it. A process may keep what it read of those tables under
the number and reuse it while the number stays the same (`kept`: the complaint rules in
`complaints.services.reference`, the districts in `portal.institutions.services.queries`).

A request reads the number once, and a signed-in request with its first statement, the lookup
of its session or API key (`COLUMN`, `note`): one round trip fewer for a queue view or an
Open311 filing on PostgreSQL (bench/RESULTS.md, seventh pass). The number is always read before
the data it covers: on PostgreSQL each statement has its own snapshot, so what is kept may be
newer than its number (and is read again at the next request), never older. What a transaction
read after changing reference data itself is not kept for others: it may yet roll back.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, column, event, select, table
from sqlalchemy.orm import Session

from portal.core.db import core_scalar
from portal.orgs.models import District, Street

T = TypeVar("T")

_TABLE = table("reference_version", column("id"), column("n"))
_VERSION = select(_TABLE.c.n).where(_TABLE.c.id == 1)
# A column to add to a request's first statement.
COLUMN = _VERSION.scalar_subquery().label("reference_version")
_NOTED = "portal.core.reference_version"
_CHANGED = "portal.core.reference_version.changed"


def note(session: Session, version: int | None) -> None:
    """Note the number read with this session's first statement (None: no row, read it later)."""
    if version is not None:
        session.info[_NOTED] = version


def current(session: Session) -> int | None:
    """The number as this session's transaction sees it: noted, or read (one statement) and
    noted. None only if the row is missing (a database before migration 0012)."""
    version = session.info.get(_NOTED)
    if version is None:
        version = core_scalar(session, _VERSION)
        note(session, version)
    return version


def changed_here(session: Session) -> None:
    """This transaction changed reference data: read the number and the data again, and keep
    nothing it reads for other sessions."""
    forget(session)
    session.info.pop(_NOTED, None)
    session.info[_CHANGED] = True


def may_keep(session: Session) -> bool:
    """Whether what this session reads may be kept for other sessions (see `changed_here`)."""
    return not session.info.get(_CHANGED)


def forget(session: Session) -> None:
    """Read the reference data afresh at this session's next use (after changing it)."""
    session.info.pop(_MEMO, None)


# Per engine: name -> (number, value). Weak: the test suite makes and drops an engine per test.
_kept: weakref.WeakKeyDictionary[Engine, dict[str, tuple[int, Any]]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_MEMO = "portal.core.reference_version.memo"  # name -> value, for this session's transaction


def kept(session: Session, name: str, read: Callable[[Session], T]) -> T:
    """What `read(session)` returns, read once per transaction and again only when the number
    has changed since this process last read it. `read` must return something immutable: it
    is shared by threads."""
    memo = session.info.get(_MEMO, {})
    if name in memo:
        return memo[name]
    version = current(session)
    engine = session.get_bind()
    with _lock:
        found = _kept.get(engine, {}).get(name)
    if found is not None and version is not None and found[0] == version:
        value = found[1]
    else:
        value = read(session)
        if version is not None and may_keep(session):
            with _lock:
                _kept.setdefault(engine, {})[name] = (version, value)
    # Set afresh: `read` may have flushed a change of this session, which forgets the memo.
    session.info.setdefault(_MEMO, {})[name] = value
    return value


# The mapped classes of reference data (their tables have the triggers); others add theirs.
# A tuple, as isinstance takes it: the listener below runs after every flush.
_watched: tuple[type, ...] = (District, Street)


def watch(*classes: type) -> None:
    """Treat a flushed change of these mapped classes as a change of reference data."""
    global _watched
    _watched = (*_watched, *classes)


@event.listens_for(Session, "after_flush")
def _after_reference_change(session: Session, _context) -> None:
    if any(isinstance(obj, _watched)
           for obj in (*session.new, *session.dirty, *session.deleted)):
        changed_here(session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _at_transaction_end(session: Session) -> None:
    # A later transaction of the same session reads the number again (one statement).
    for key in (_NOTED, _CHANGED, _MEMO):
        session.info.pop(key, None)
