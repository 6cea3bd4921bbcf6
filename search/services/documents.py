"""Index documents built from published disclosures (never personal data or drafts)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.backoffice.models import InstitutionRule
from portal.core.settings import get_settings
from portal.institutions import vocab
from portal.institutions.models import (
    CreditEntry,
    FeeItem,
    Grade,
    Inspection,
    Institution,
    Penalty,
)
from portal.institutions.rules.facts import pick_total, priced_row, totals_of
from portal.opendays.models import CANCELLED, OpenDay
from portal.orgs.models import District, Street
from search.rules.analysis import MAX_READINGS, price_bucket
from search.rules.pinyin import all_readings, initials

log = logging.getLogger(__name__)

OPEN_DAYS_SHOWN = 10  # the newest open days (upcoming and held) carried by a document

# ---------------------------------------------------------------------------------------------
# Documents: only published disclosure data; never people (no legal representative, phone or
# anything from complaints).


@dataclass(frozen=True)
class FeeRow:
    item: str
    unit: str
    price: Decimal
    pricing_type: str
    cycle: str
    care_level: str | None


def monthly_price_range(fees: list[FeeRow]) -> tuple[int, int] | None:
    """The directory's 每月约, in whole yuan: the cheapest and dearest monthly total across care
    levels of the current fee rows, by the one definition (portal/institutions/rules/facts.py:
    SPEC §2 月服务费用: components, room types as alternatives, 季/年 rows by the month). None
    when no row recurs. (It had its own definition, which left out 季/年 rows.)"""
    rows = [row for f in fees if (row := priced_row(f.care_level, f.item, f.price, f.cycle))]
    total = pick_total(totals_of(rows), None)
    if total is None:
        return None

    def whole(value: Decimal) -> int:
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    return whole(total.low), whole(total.high)


_ALIAS_SEPARATORS = re.compile(r"[,，、;；\s]+")


def _fee_line(f: FeeRow) -> str:
    parts = [f.item, f"{f.price:.2f}", f.unit, vocab.PRICING_TYPES.get(f.pricing_type, "")]
    if f.care_level:
        parts.append(vocab.CARE_LEVELS.get(f.care_level, ""))
    return " ".join(p for p in parts if p)


def _documents(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Index documents for these institution ids (missing ids are simply absent)."""
    if not ids:
        return {}
    tz = get_settings().timezone
    today = datetime.now(tz).date()
    rows = session.execute(
        select(
            Institution.id,
            Institution.name,
            Institution.aliases,
            Institution.address,
            Institution.kind,
            Institution.nature,
            Institution.filing_status,
            Institution.district_id,
            Institution.beds_total,
            Institution.beds_vacant,
            District.name.label("district_name"),
            Street.name.label("street_name"),
        )
        .join(District, District.id == Institution.district_id)
        .outerjoin(Street, Street.id == Institution.street_id)
        .where(Institution.id.in_(ids))
    ).all()
    fees: dict[int, list[FeeRow]] = {}
    for inst_id, *values in session.execute(
        select(
            FeeItem.institution_id,
            FeeItem.item,
            FeeItem.unit,
            FeeItem.price,
            FeeItem.pricing_type,
            FeeItem.cycle,
            FeeItem.care_level,
        )
        .where(FeeItem.institution_id.in_(ids), FeeItem.effective_to.is_(None),
               FeeItem.effective_from <= today)  # the rows in force, as the directory reads them
        .order_by(FeeItem.id)
    ):
        fees.setdefault(inst_id, []).append(FeeRow(*values))
    grades: dict[int, int] = {}
    for inst_id, level in session.execute(
        select(Grade.institution_id, Grade.level)
        .where(Grade.institution_id.in_(ids))
        .order_by(Grade.awarded_on, Grade.id)
    ):
        grades[inst_id] = level  # the latest award wins
    texts: dict[str, dict[int, list[str]]] = {"inspections": {}, "penalties": {}, "credit": {}}
    for inst_id, on, checked, findings in session.execute(
        select(
            Inspection.institution_id,
            Inspection.inspected_on,
            Inspection.items_checked,
            Inspection.findings,
        )
        .where(Inspection.institution_id.in_(ids))
        .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
    ):
        line = f"{on:%Y-%m-%d} {checked}" + (f"：{findings}" if findings else "")
        texts["inspections"].setdefault(inst_id, []).append(line)
    for inst_id, violation, penalty in session.execute(
        select(Penalty.institution_id, Penalty.violation, Penalty.penalty)
        .where(Penalty.institution_id.in_(ids))
        .order_by(Penalty.decided_on.desc(), Penalty.id.desc())
    ):
        texts["penalties"].setdefault(inst_id, []).append(f"{violation} {penalty}")
    for inst_id, list_type, reason in session.execute(
        select(CreditEntry.institution_id, CreditEntry.list_type, CreditEntry.reason)
        .where(CreditEntry.institution_id.in_(ids), CreditEntry.removed_on.is_(None))
        .order_by(CreditEntry.listed_on.desc(), CreditEntry.id.desc())
    ):
        label = vocab.CREDIT_LISTS.get(list_type, "")
        texts["credit"].setdefault(inst_id, []).append(f"{label} {reason}".strip())

    rules: dict[int, list[str]] = {}
    for inst_id, title in session.execute(
        select(InstitutionRule.institution_id, InstitutionRule.title)
        .where(InstitutionRule.institution_id.in_(ids), InstitutionRule.retired_on.is_(None))
        .order_by(InstitutionRule.effective_on, InstitutionRule.id)
    ):
        rules.setdefault(inst_id, []).append(title)
    open_days: dict[int, list[str]] = {}
    for inst_id, title, place, starts_at in session.execute(
        select(OpenDay.institution_id, OpenDay.title, OpenDay.place, OpenDay.starts_at)
        .where(OpenDay.institution_id.in_(ids), OpenDay.status != CANCELLED)
        .order_by(OpenDay.starts_at.desc(), OpenDay.id.desc())
    ):
        day = starts_at.astimezone(tz).date() if starts_at.tzinfo else starts_at.date()
        open_days.setdefault(inst_id, []).append(f"{day:%Y-%m-%d} {title}（{place}）")

    docs: dict[int, dict[str, Any]] = {}
    for row in rows:
        inst_id = row.id
        own_fees = fees.get(inst_id, [])
        price = monthly_price_range(own_fees)
        penalties = "\n".join(texts["penalties"].get(inst_id, []))
        credit = "\n".join(texts["credit"].get(inst_id, []))
        docs[inst_id] = {
            "id": str(inst_id),
            "names": f"{row.name}\n{row.aliases}",
            "name": row.name,
            "aliases": row.aliases,
            "name_initials": " ".join(_readings(row.name, row.aliases)),
            "place": f"{row.district_name} {row.street_name or ''} {row.address}",
            "address": row.address,
            "district": row.district_name,
            "street": row.street_name or "",
            "district_id": str(row.district_id),
            "kind": row.kind,
            "nature": row.nature,
            "filing_status": row.filing_status,
            "grade": str(grades.get(inst_id, 0)),
            "beds_total": row.beds_total,
            "beds_vacant": row.beds_vacant,
            "vacancy": "1" if row.beds_vacant > 0 else "0",
            "price_min": price[0] if price else None,
            "price_max": price[1] if price else None,
            "price_bucket": price_bucket(price[0] if price else None),
            "fees": "\n".join(_fee_line(f) for f in own_fees),
            "inspections": "\n".join(texts["inspections"].get(inst_id, [])),
            "penalties": penalties,
            "credit": credit,
            "sanctions": f"{penalties}\n{credit}",
            "rules": "、".join(rules.get(inst_id, [])),
            "open_days": "\n".join(open_days.get(inst_id, [])[:OPEN_DAYS_SHOWN]),
        }
        doc = docs[inst_id]
        doc["notes"] = f"{doc['rules']}\n{doc['open_days']}"
    return docs


def _first_difference(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))


def _readings(name: str, aliases: str) -> list[str]:
    """initials() of name and each alias first, then other readings of polyphones, capped."""
    found: list[str] = []
    for text in (name, *_ALIAS_SEPARATORS.split(aliases)):
        if text:
            primary = initials(text)
            # Variants differing early first: people type a name from its start.
            others = sorted(
                all_readings(text) - {primary}, key=lambda r: (_first_difference(r, primary), r)
            )
            found.extend(r for r in [primary, *others[: MAX_READINGS - 1]] if r not in found)
    return found


def document_for(session: Session, institution_id: int) -> dict[str, Any] | None:
    """The index document of one institution, or None when it no longer exists."""
    return _documents(session, [institution_id]).get(institution_id)


def iter_documents(session: Session, batch_size: int = 500) -> Iterator[dict[str, Any]]:
    ids = list(session.scalars(select(Institution.id).order_by(Institution.id)))
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        docs = _documents(session, chunk)
        for inst_id in chunk:
            if inst_id in docs:
                yield docs[inst_id]
