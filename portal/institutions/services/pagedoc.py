"""The public institution page from its stored document, and how that document is kept.

Every view of an institution page used to load 13 statements of rows and render the whole
template (≈ 3 ms of the request, bench/RESULTS.md), although nearly all of it changes only when
the institution's records do. The document holds those parts built — HTML fragments of the
templates under `templates/institutions/page/` — with the facts the flags are computed from.
A view then runs one statement (the document with the complaint figures, the open days and the
credit check's records: portal/institutions/services/page_live.py) and renders only what depends
on the date: flags, monthly totals, the grade's age and expiry, open days, complaint figures and
the credit check (履约评价, red-list blockers).

It cannot show a stale disclosure:
- `institutions.records_version` is raised by database triggers (migration 0009) on every change
  to anything the page shows, whatever writes it;
- a document records the version it was built at, read *before* its rows, so its rows are at
  least that new (on PostgreSQL's read-committed too);
- it is used only while that version is the institution's and its build key (the source of
  every module and template the parts are built by, portal/institutions/services/page_sources.py, and
  the time zone) is this code's. Otherwise the page is built from the rows as before:
  slower, never wrong.
Documents are rebuilt by a job recorded with each change (`institutions.tasks.enqueue_refresh`), by a sweep
of stale ones every 10 minutes (`institutions.tasks.refresh_stale_pages`, for bulk loads, renames and
deploys) and by `portal build-pages`.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import msgspec
from markupsafe import Markup
from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import Session

from portal.core.db import session_scope, utcnow
from portal.core.settings import PROJECT_ROOT, get_settings
from portal.core.templating import templates
from portal.institutions import vocab
from portal.institutions.models import Institution, InstitutionPageDoc
from portal.institutions.rules.checks import compute_flags
from portal.institutions.rules.facts import Facts, MonthlyTotal, monthly_totals
from portal.institutions.rules.flags import Flag
from portal.institutions.rules.thresholds import DEFAULT_THRESHOLDS, Thresholds
from portal.institutions.services.credit_status import CreditStatus
from portal.institutions.services.page import InstitutionPage, ShownPage, load_page
from portal.institutions.services.page_live import (
    LIVE_COLUMNS,
    ComplaintStats,
    live_params,
    live_parts,
    with_live,
    with_open_days,
)
from portal.institutions.services.page_sources import page_sources
from portal.opendays.services.events import InstitutionOpenDays

# In the order `templates/institutions/_page.html` places them.
FRAGMENT_TEMPLATES = tuple(f"institutions/page/{name}.html" for name in (
    "head", "basic", "fee_tables", "rules_resources", "records", "history"))
# Everything a built fragment depends on besides the rows — the source of every module in the
# page renderer's import closure and of every template the fragments render — is found by
# portal/institutions/services/page_sources.py: a change to any of these files (a deploy) makes every
# document stale until rebuilt. Raise DOC_FORMAT for any other change (a setting the fragments
# show, say).
DOC_FORMAT = "1"


def sources() -> tuple[tuple[str, Path], ...]:
    """(label, file) of every source the build key covers."""
    return page_sources(__name__, templates.env, PROJECT_ROOT / "templates", FRAGMENT_TEMPLATES)


@lru_cache
def _build_key(timezone: str) -> str:
    digest = hashlib.sha256(f"{DOC_FORMAT}\0{timezone}".encode())
    for label, path in sources():
        digest.update(f"\0{label}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def build_key() -> str:
    return _build_key(str(get_settings().timezone))


class StoredPage(msgspec.Struct, frozen=True):
    """The document's body: the heading, the facts without open days, the built fragments."""

    name: str
    facts: Facts
    fragments: tuple[str, ...]


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(StoredPage).decode


@dataclass(frozen=True)
class PageHeading:
    """What the page around the parts names of the institution."""

    id: int
    name: str


@dataclass(frozen=True)
class DocPage(ShownPage):
    """An institution page from its document, with the date-dependent parts of this view."""

    inst: PageHeading
    facts: Facts
    flags: list[Flag]
    complaints: ComplaintStats
    totals: dict[str | None, MonthlyTotal]
    today: date
    open_days: InstitutionOpenDays
    credit_status: CreditStatus
    fragments: tuple[Markup, ...] = ()  # type: ignore[misc]  # the parts, built

    @property
    def grade(self):  # type: ignore[override]
        return self.facts.grade


# The document, the version it must match and the parts that change without the records
# (complaint figures, open days, credit check; page_live.py): one statement (each statement cost
# more in SQLAlchemy than SQLite took to answer it, and a round trip on PostgreSQL).
_SHOWN = with_live(
    select(Institution.records_version, InstitutionPageDoc.records_version,
           InstitutionPageDoc.build_key, InstitutionPageDoc.body, *LIVE_COLUMNS)
    .outerjoin(InstitutionPageDoc, InstitutionPageDoc.institution_id == Institution.id)
).where(Institution.id == bindparam("institution_id"))
_VERSION = select(Institution.records_version).where(Institution.id == bindparam("institution_id"))


def shown_page(
    db: Session,
    institution_id: int,
    today: date,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    now: datetime | None = None,
) -> InstitutionPage | DocPage | None:
    """The page to show: from the document when it is current, otherwise from the rows."""
    now = now or datetime.now(UTC)
    row = db.execute(_SHOWN, live_params(institution_id, now, today)).first()
    if row is None:
        return None
    current, built_at, key, body, *live_values = row
    if body is None or built_at != current or key != build_key():
        return load_page(db, institution_id, today, thresholds, now)
    stored = _decode(body)
    live = live_parts(institution_id, live_values, today)
    facts = with_open_days(stored.facts, live.open_days)
    return DocPage(
        inst=PageHeading(institution_id, stored.name),
        # Rendered by the autoescaping templates of `build`, from this database only.
        fragments=tuple(Markup(f) for f in stored.fragments),  # noqa: S704
        facts=facts,
        flags=compute_flags(facts, today, thresholds),
        complaints=live.complaints,
        totals=monthly_totals(facts.fees, today),
        today=today,
        open_days=live.open_days,
        # Per view: rectifications fall overdue and penalties leave the period by the date.
        credit_status=live.credit_status,
    )


def build(db: Session, institution_id: int) -> tuple[int, StoredPage] | None:
    """(records version, body) for the institution as the caller's transaction sees it."""
    version = db.scalar(_VERSION, {"institution_id": institution_id})  # first: see the docstring
    if version is None:
        return None
    page = load_page(db, institution_id, datetime.now(get_settings().timezone).date())
    assert page is not None and page.facts is not None
    context = {"p": page, "inst": page.inst, "vocab": vocab}
    fragments = tuple(templates.env.get_template(name).render(context)
                      for name in FRAGMENT_TEMPLATES)
    # Open days are looked up per view (they pass, and places fill): stored unchecked.
    facts = replace(page.facts, open_days_checked=False, last_open_day=None)
    return version, StoredPage(name=page.inst.name, facts=facts, fragments=fragments)


def refresh(db: Session, institution_id: int) -> bool:
    """Build and store the institution's document in the caller's transaction (False: gone)."""
    return _store(db, institution_id, build(db, institution_id))


def _store(db: Session, institution_id: int, built: tuple[int, StoredPage] | None) -> bool:
    if built is None:
        db.execute(delete(InstitutionPageDoc).where(
            InstitutionPageDoc.institution_id == institution_id))
        return False
    version, body = built
    db.merge(InstitutionPageDoc(institution_id=institution_id, records_version=version,
                                build_key=build_key(), body=_encode(body).decode(),
                                built_at=utcnow()))
    return True


def _stale_ids(db: Session, after: int, limit: int) -> list[int]:
    doc = InstitutionPageDoc
    return list(db.scalars(
        select(Institution.id)
        .outerjoin(doc, doc.institution_id == Institution.id)
        .where(Institution.id > after, or_(
            doc.institution_id.is_(None), doc.records_version != Institution.records_version,
            doc.build_key != build_key()))
        .order_by(Institution.id).limit(limit)))


def stale_batches(database_url: str, batch: int = 200) -> Iterator[list[int]]:
    """Ids of institutions without a current document, a batch at a time, in id order."""
    after = 0
    while True:
        with session_scope(database_url) as db:
            ids = _stale_ids(db, after, batch)
        if not ids:
            return
        yield ids
        after = ids[-1]


def refresh_batch(database_url: str, ids: list[int]) -> None:
    """Build the batch's documents in a read-only transaction, then store them in a writing
    one: on SQLite a writing transaction holds the database's one write lock from its BEGIN
    IMMEDIATE (portal/core/db.py), and the batch's reading and rendering must not keep the other
    writers waiting. Each document keeps the records version it was built at: one whose
    institution changed in between is stale at once and built again."""
    with session_scope(database_url, reading=True) as db:
        built = [(institution_id, build(db, institution_id)) for institution_id in ids]
    with session_scope(database_url) as db:
        for institution_id, body in built:
            _store(db, institution_id, body)


def _refresh_batch_fresh_process(args: tuple[str, list[int]]) -> int:
    refresh_batch(*args)
    return len(args[1])


def build_stale_parallel(database_url: str, procs: int = 1, batch: int = 200,
                         progress: Callable[[int], None] | None = None) -> int:
    """`build_stale` over `procs` processes (spawned: no database connection is inherited)."""
    if procs == 1:
        return build_stale(database_url, batch, progress=progress)
    done = 0
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        work = ((database_url, ids) for ids in stale_batches(database_url, batch))
        for n in pool.imap_unordered(_refresh_batch_fresh_process, work):
            done += n
            if progress and done % (batch * 25) < n:
                progress(done)
    return done


def build_stale(database_url: str, batch: int = 200, limit: int | None = None,
                progress: Callable[[int], None] | None = None) -> int:
    """Rebuild every stale document (or the first `limit`); returns how many were rebuilt."""
    done = 0
    for ids in stale_batches(database_url, batch):
        ids = ids if limit is None else ids[: limit - done]
        refresh_batch(database_url, ids)
        done += len(ids)
        if progress and done % (batch * 25) < len(ids):
            progress(done)
        if limit is not None and done >= limit:
            break
    return done
