"""Disclosure drafts, published versions (change history), rules documents, credit commitments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, utcnow

SECTIONS = ("basic", "fees", "rules", "resources", "commitment")
SECTION_LABELS = {
    "basic": "基本信息",
    "fees": "服务项目和收费标准",
    "rules": "规章制度",
    "resources": "服务资源",
    "commitment": "信用承诺书",
}
STATUSES = ("draft", "submitted", "approved", "rejected", "published", "withdrawn")
OPEN_STATUSES = ("draft", "submitted")

_OPEN = "status IN ('draft', 'submitted')"

# The commitment's 履约情况 was once declared by the institution itself. It is judged by civil
# affairs (株洲 实施方案 (一)；昆政办〔2021〕70号 (十四); portal/institutions/rules/credit.py), so the form no
# longer asks for it; old published changes keep it, labelled for what it was.
SELF_DECLARED_LABELS = {"fulfilment": "履约情况（机构自述，不作为履约评价）"}


class DisclosureDraft(Base):
    """Proposed values for one section of an institution's disclosures, on its way to review."""

    __tablename__ = "disclosure_drafts"
    __table_args__ = (
        CheckConstraint(
            "section IN ('basic', 'fees', 'rules', 'resources', 'commitment')",
            name="section_known",
        ),
        CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'rejected', 'published', 'withdrawn')",
            name="status_known",
        ),
        # Only one open draft per institution and section: enforced by the database.
        Index(
            "uq_disclosure_drafts_open",
            "institution_id",
            "section",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
        Index("ix_disclosure_drafts_status_submitted", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    section: Mapped[str] = mapped_column(String(12))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str] = mapped_column(Text, default="")

    institution = relationship("Institution")


class DisclosureVersion(Base):
    """One publication of one section: what changed (old → new), when, approved by whom."""

    __tablename__ = "disclosure_versions"
    __table_args__ = (Index("ix_disclosure_versions_inst_published", "institution_id",
                            "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"))
    section: Mapped[str] = mapped_column(String(12))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("disclosure_drafts.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Public label of the approving body (never a person's name).
    approved_by_label: Mapped[str] = mapped_column(String(60), default="")
    # [{"field": ..., "label": ..., "old": ..., "new": ...}, ...] as display strings.
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    @property
    def section_label(self) -> str:
        return SECTION_LABELS.get(self.section, self.section)

    @property
    def shown_changes(self) -> list[dict[str, Any]]:
        """The changes as the public sees them: self-declared values labelled as such."""
        if self.section != "commitment":
            return self.changes
        return [{**c, "label": SELF_DECLARED_LABELS.get(c.get("field", ""), c["label"])}
                for c in self.changes]


class InstitutionRule(Base):
    """A rules document (规章制度); a changed or removed document is retired, never overwritten."""

    __tablename__ = "institution_rules"
    __table_args__ = (Index("ix_institution_rules_current", "institution_id", "retired_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text, default="")
    effective_on: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_on: Mapped[date | None] = mapped_column(Date)


class CreditCommitment(Base):
    """A published credit commitment (信用承诺书); the newest current one shows.

    `fulfilment` is what institutions once declared of their own 履约情况: kept as history,
    never shown (the judgement is civil affairs', FulfilmentAssessment)."""

    __tablename__ = "credit_commitments"
    __table_args__ = (Index("ix_credit_commitments_current", "institution_id", "retired_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"))
    signed_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    fulfilment: Mapped[str] = mapped_column(String(200), default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_on: Mapped[date | None] = mapped_column(Date)
