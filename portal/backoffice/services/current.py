"""The disclosures in force: the values the last approved drafts published.

Read by the public institution page (portal/backoffice/services/public.py, portal/institutions/services/page.py)
and by the workflow, which diffs a draft against them and closes them when a new one is
approved. A module of its own so the page reads what is published without importing the
workflow that writes it (and records the page's refresh job).
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from portal.backoffice.models import CreditCommitment, InstitutionRule
from portal.institutions.models import FeeItem, ServiceResources


def current_fees(db: Session, institution_id: int) -> list[FeeItem]:
    return list(db.scalars(select(FeeItem).where(
        FeeItem.institution_id == institution_id, FeeItem.effective_to.is_(None)
    ).order_by(FeeItem.id)))


# Built once (the public institution page reads these on every view).
_CURRENT_RULES = select(InstitutionRule).where(
    InstitutionRule.institution_id == bindparam("institution_id"),
    InstitutionRule.retired_on.is_(None),
).order_by(InstitutionRule.effective_on, InstitutionRule.id)
_CURRENT_COMMITMENT = select(CreditCommitment).where(
    CreditCommitment.institution_id == bindparam("institution_id"),
    CreditCommitment.retired_on.is_(None),
).order_by(CreditCommitment.signed_on.desc(), CreditCommitment.id.desc()).limit(1)


def current_rules(db: Session, institution_id: int) -> list[InstitutionRule]:
    return list(db.scalars(_CURRENT_RULES, {"institution_id": institution_id}))


def current_commitment(db: Session, institution_id: int) -> CreditCommitment | None:
    return db.scalars(_CURRENT_COMMITMENT, {"institution_id": institution_id}).first()


_LATEST_RESOURCES = select(ServiceResources).where(
    ServiceResources.institution_id == bindparam("institution_id")
).order_by(ServiceResources.effective_from.desc(), ServiceResources.id.desc()).limit(1)


def latest_resources(db: Session, institution_id: int) -> ServiceResources | None:
    return db.scalars(_LATEST_RESOURCES, {"institution_id": institution_id}).first()
