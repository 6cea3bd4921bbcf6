"""What the public institution page and the API show of the back office: the current rules
documents, the credit commitment, the change history and when the page was last updated.

The history names the approving body (a department label), never a person."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from portal.backoffice.models import (
    SECTION_LABELS,
    CreditCommitment,
    DisclosureVersion,
    InstitutionRule,
)
from portal.backoffice.services.current import current_commitment, current_rules

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class Published:
    rules: list[InstitutionRule] = field(default_factory=list)
    commitment: CreditCommitment | None = None
    history: list[DisclosureVersion] = field(default_factory=list)

    @property
    def last_updated(self) -> datetime | None:
        return self.history[0].published_at if self.history else None


_HISTORY = (
    select(DisclosureVersion)
    .where(DisclosureVersion.institution_id == bindparam("institution_id"))
    .order_by(DisclosureVersion.published_at.desc(), DisclosureVersion.id.desc())
    .limit(HISTORY_LIMIT)
)


def load_published(db: Session, institution_id: int) -> Published:
    history = list(db.scalars(_HISTORY, {"institution_id": institution_id}))
    return Published(rules=current_rules(db, institution_id),
                     commitment=current_commitment(db, institution_id), history=history)


def published_json(p: Published) -> dict[str, Any]:
    c = p.commitment
    return {
        "rules": [{"title": r.title, "body": r.body, "effective_on": r.effective_on.isoformat()}
                  for r in p.rules],
        "credit_commitment": None if c is None else {
            "signed_on": c.signed_on.isoformat(), "text": c.text},
        "last_updated": p.last_updated.isoformat() if p.last_updated else None,
        "change_history": [
            {"section": v.section, "section_label": v.section_label,
             "published_at": v.published_at.isoformat(), "approved_by": v.approved_by_label,
             "changes": [{"label": c["label"], "old": c["old"], "new": c["new"]}
                         for c in v.shown_changes]}
            for v in p.history
        ],
    }


# The OpenAPI properties of `published_json`, merged into the InstitutionDetail schema.
_TEXT = {"type": "string"}
PUBLISHED_PROPERTIES: dict[str, Any] = {
    "rules": {"type": "array", "description": "rules documents (规章制度) in force",
              "items": {"type": "object", "required": ["title", "body", "effective_on"],
                        "properties": {"title": _TEXT, "body": _TEXT,
                                       "effective_on": {"type": "string", "format": "date"}}}},
    "credit_commitment": {
        "type": ["object", "null"],
        "description": "the published 信用承诺书; its 履约情况 is civil affairs' judgement, in "
                       "credit_check.fulfilment_assessment",
        "required": ["signed_on", "text"],
        "properties": {"signed_on": {"type": "string", "format": "date"}, "text": _TEXT}},
    "last_updated": {"type": ["string", "null"], "format": "date-time",
                     "description": "when a reviewed change to the disclosures was last published"},
    "change_history": {
        "type": "array", "description": f"published changes, newest first (at most "
                                         f"{HISTORY_LIMIT})",
        "items": {"type": "object",
                  "required": ["section", "section_label", "published_at", "approved_by",
                               "changes"],
                  "properties": {
                      "section": {"enum": list(SECTION_LABELS)}, "section_label": _TEXT,
                      "published_at": {"type": "string", "format": "date-time"},
                      "approved_by": {"type": "string",
                                      "description": "the approving body, never a person"},
                      "changes": {"type": "array", "items": {
                          "type": "object", "required": ["label", "old", "new"],
                          "properties": {"label": _TEXT, "old": _TEXT, "new": _TEXT}}}}}},
}
