"""Institutions and their disclosed records: fees, resources, grades, inspections, penalties, credit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, utcnow
from portal.institutions.rules.address import full_address
from portal.orgs.models import Department, District, Street


class Institution(Base):
    __tablename__ = "institutions"
    __table_args__ = (
        CheckConstraint("beds_vacant >= 0 AND beds_vacant <= beds_total", name="beds_sane"),
        # The directory's usual filters with its default name order (pinyin, issue 21 item 12):
        # no sort of the matches.
        Index("ix_institutions_district_kind_pinyin", "district_id", "kind", "name_pinyin"),
        Index("ix_institutions_district_pinyin", "district_id", "name_pinyin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    aliases: Mapped[str] = mapped_column(String(200), default="")
    name_initials: Mapped[str] = mapped_column(String(60), default="", index=True)
    # The name's pinyin order key (search/rules/pinyin.py: sort_key), written with the name: the
    # database sorts by it, as a Chinese reader looks names up (爱心 < 长青 < 幸福).
    name_pinyin: Mapped[str] = mapped_column(String(255), default="", server_default="",
                                             index=True)
    # NULL only for unregistered places (黑机构) found operating without a code.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    nature: Mapped[str] = mapped_column(String(20), index=True)
    filing_status: Mapped[str] = mapped_column(String(20), index=True)
    registration_no: Mapped[str] = mapped_column(String(40), default="")
    registration_date: Mapped[date | None] = mapped_column(Date)
    filing_no: Mapped[str] = mapped_column(String(40), default="")
    filing_date: Mapped[date | None] = mapped_column(Date)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    # WGS-84 degrees (portal/institutions/rules/geo.py): from the registry import or set by civil
    # affairs (/gov); both NULL when not known. Migration 0030.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    legal_representative: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    opened_year: Mapped[int | None] = mapped_column(Integer)
    beds_total: Mapped[int] = mapped_column(Integer, default=0)
    beds_vacant: Mapped[int] = mapped_column(Integer, default=0)
    admits_self_care: Mapped[bool] = mapped_column(Boolean, default=True)
    admits_mild: Mapped[bool] = mapped_column(Boolean, default=False)
    admits_severe: Mapped[bool] = mapped_column(Boolean, default=False)
    medical_integration: Mapped[bool] = mapped_column(Boolean, default=False)
    internal_clinic: Mapped[bool] = mapped_column(Boolean, default=False)
    insurance_designated: Mapped[bool] = mapped_column(Boolean, default=False)
    deposit_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    deposit_dedicated_account: Mapped[bool] = mapped_column(Boolean, default=False)
    deposit_bank: Mapped[str] = mapped_column(String(80), default="")
    # Places operating without filing (unregistered, or a registered 养老机构 not filed): when,
    # by whom (a department or a person's role) and how (vocab.DISCOVERY_CHANNELS) they were
    # found. Indicator 2.6 counts its on-site check deadline from `discovered_on`.
    discovered_on: Mapped[date | None] = mapped_column(Date)
    discovered_by: Mapped[str] = mapped_column(String(100), default="", server_default="")
    discovered_via: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # vocab.OPERATING_STATUSES; its changes over time: portal/registry/models.py (migration 0024).
    operating_status: Mapped[str] = mapped_column(String(20), default="operating",
                                                  server_default="operating")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Raised by database triggers (migration 0009) on every change the public page shows;
    # never written by the application. The page document is valid only at this version.
    records_version: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    district: Mapped[District] = relationship()
    street: Mapped[Street | None] = relationship()
    fee_items: Mapped[list[FeeItem]] = relationship(
        back_populates="institution", order_by="FeeItem.id"
    )

    @property
    def full_address(self) -> str:
        """District, street and address, each named once (rules/address.py)."""
        return full_address(self.district.name, self.street.name if self.street else None,
                            self.address)


class FeeItem(Base):
    """A priced service item; a price change closes the old row (effective_to) and adds one."""

    __tablename__ = "fee_items"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        Index("ix_fee_items_current", "institution_id", "effective_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(20))
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    pricing_type: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[str] = mapped_column(String(10), default="月")
    care_level: Mapped[str | None] = mapped_column(String(20))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)

    institution: Mapped[Institution] = relationship(back_populates="fee_items")


class ServiceResources(Base):
    """Staffing, elders in care and safety facts; one row per published version."""

    __tablename__ = "service_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    effective_from: Mapped[date] = mapped_column(Date)
    caregivers: Mapped[int] = mapped_column(Integer, default=0)
    certified_caregivers: Mapped[int] = mapped_column(Integer, default=0)
    nurses: Mapped[int] = mapped_column(Integer, default=0)
    doctors: Mapped[int] = mapped_column(Integer, default=0)
    social_workers: Mapped[int] = mapped_column(Integer, default=0)
    elders_self_care: Mapped[int] = mapped_column(Integer, default=0)
    elders_mild: Mapped[int] = mapped_column(Integer, default=0)
    elders_severe: Mapped[int] = mapped_column(Integer, default=0)
    video_coverage: Mapped[bool] = mapped_column(Boolean, default=False)
    video_retention_days: Mapped[int] = mapped_column(Integer, default=0)
    # 消防审验 (portal/institutions/rules/fire_approval.py): the status code, None when not disclosed,
    # with its document number and date. `fire_approval` is the free-text note; before migration
    # 0015 it was the only field and it keeps what was published then.
    fire_approval_status: Mapped[str | None] = mapped_column(String(20))
    fire_approval_doc_no: Mapped[str] = mapped_column(String(60), default="", server_default="")
    fire_approval_date: Mapped[date | None] = mapped_column(Date)
    fire_approval: Mapped[str] = mapped_column(String(40), default="")
    food_licence: Mapped[str] = mapped_column(String(40), default="")
    last_fire_drill: Mapped[date | None] = mapped_column(Date)
    last_emergency_drill: Mapped[date | None] = mapped_column(Date)


class Grade(Base):
    """A GB/T 37276 grade award and the GB 38600 compliance finding."""

    __tablename__ = "grades"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[int] = mapped_column(Integer)
    awarded_by: Mapped[str] = mapped_column(String(80))
    awarded_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    gb38600_compliant: Mapped[bool] = mapped_column(Boolean, default=True)
    # The record's own number (评定证书编号, 检查文书编号, 列入决定文号) when it came by a registry
    # import, which upserts by it (portal/registry/rules/records.py); NULL for entries by form.
    record_no: Mapped[str | None] = mapped_column(String(60), index=True, unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


NO_FINDINGS_WORDS = ("未发现问题", "无需整改")


def classify_outcome(findings: str, rectification_status: str) -> str:
    """The outcome of an inspection entered without one, from its text and rectification status
    (the rule migration 0014 applied to the older rows)."""
    if rectification_status != "none_required":
        return "rectification_required"
    text = (findings or "").strip()
    if not text or any(word in text for word in NO_FINDINGS_WORDS):
        return "no_findings"
    return "closed_on_spot"


def _default_outcome(context) -> str:
    params = context.get_current_parameters()
    return classify_outcome(params.get("findings") or "",
                            params.get("rectification_status") or "none_required")


class Inspection(Base):
    """A 双随机、一公开 spot check or other inspection with its rectification."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    inspected_on: Mapped[date] = mapped_column(Date, index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    items_checked: Mapped[str] = mapped_column(Text)
    findings: Mapped[str] = mapped_column(Text, default="")
    rectification_deadline: Mapped[date | None] = mapped_column(Date)
    rectification_status: Mapped[str] = mapped_column(String(20), default="none_required")
    # vocab.INSPECTION_OUTCOMES; the government form requires it, other writers get it derived.
    outcome: Mapped[str] = mapped_column(String(30), default=_default_outcome,
                                         server_default="no_findings")
    # The record's own number (评定证书编号, 检查文书编号, 列入决定文号) when it came by a registry
    # import, which upserts by it (portal/registry/rules/records.py); NULL for entries by form.
    record_no: Mapped[str | None] = mapped_column(String(60), index=True, unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the recording office or civil affairs corrected it (old versions: RecordRevision).
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    department: Mapped[Department] = relationship()


class Penalty(Base):
    """An administrative penalty decision (行政处罚), public from the day it is decided."""

    __tablename__ = "penalties"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    decision_no: Mapped[str] = mapped_column(String(60), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    decided_on: Mapped[date] = mapped_column(Date, index=True)
    violation: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(Text)
    penalty: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    status: Mapped[str] = mapped_column(String(20), default="decided")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    department: Mapped[Department] = relationship()


class CreditEntry(Base):
    """A red-list or joint-punishment black-list entry."""

    __tablename__ = "credit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    list_type: Mapped[str] = mapped_column(String(10), index=True)
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    listed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    removed_on: Mapped[date | None] = mapped_column(Date)
    repair_status: Mapped[str] = mapped_column(String(40), default="")
    # The record's own number (评定证书编号, 检查文书编号, 列入决定文号) when it came by a registry
    # import, which upserts by it (portal/registry/rules/records.py); NULL for entries by form.
    record_no: Mapped[str | None] = mapped_column(String(60), index=True, unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship()


class FulfilmentAssessment(Base):
    """Civil affairs' judgement of how an institution kept its 信用承诺书 (履约评价).

    The written commitment's 履约情况 goes into the credit record (株洲 实施方案 (一)；昆政办〔2021〕70号
    (十四)；内政办发〔2021〕26号 (十七)), and civil affairs leads the sector's credit supervision
    (株洲 and 昆明, 部门职责: 民政部门 开展养老服务机构信用监管): the institution does not
    judge itself. Rows are only ever added; the newest one (by date, then id) is in force."""

    __tablename__ = "fulfilment_assessments"
    __table_args__ = (
        CheckConstraint("result IN ('kept', 'breach', 'serious_breach')", name="result_known"),
        Index("ix_fulfilment_assessments_inst_on", "institution_id", "assessed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"))
    assessed_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(20))
    basis: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship()


class RecordRevision(Base):
    """A government record's version before a correction (更正) or withdrawal (撤销).

    A correction edits the live row (setting its `corrected_at`) and keeps the old field values
    here; a withdrawal keeps the whole row here and deletes it from its table, so no reader of
    the live tables (page, lists, credit status, statistics, open data) shows it again. Rows are
    only ever added (issue 18 item 5: records are reviewable and correctable with a history)."""

    __tablename__ = "record_revisions"
    __table_args__ = (
        CheckConstraint("action IN ('correct', 'withdraw')", name="action_known"),
        Index("ix_record_revisions_inst_at", "institution_id", "at"),
        Index("ix_record_revisions_record", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(20))  # inspection, penalty
    record_id: Mapped[int] = mapped_column(Integer)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    action: Mapped[str] = mapped_column(String(10))
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department | None] = relationship()


class InstitutionPageDoc(Base):
    """The unchanging parts of an institution's public page, built at one records version
    (portal/institutions/services/pagedoc.py). Shown only while that version is the institution's."""

    __tablename__ = "institution_page_docs"

    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    records_version: Mapped[int] = mapped_column(Integer)
    build_key: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DirectoryCount(Base):
    """Signed counts of institutions per value of the directory's plain filters, kept by
    database triggers (migration 0011; `portal.core.signed_counts`). The directory's total for a
    query of these filters only is a sum of `n` over the matching rows instead of a count of
    its institutions (25,000 index entries for a district and a kind at 400,000)."""

    __tablename__ = "directory_counts"
    __table_args__ = (Index("ix_directory_counts_district_kind", "district_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(Integer)
    street_id: Mapped[int] = mapped_column(Integer)  # 0: no street
    kind: Mapped[str] = mapped_column(String(20))
    nature: Mapped[str] = mapped_column(String(20))
    filing_status: Mapped[str] = mapped_column(String(20))
    vacant: Mapped[bool] = mapped_column(Boolean)  # beds_vacant > 0
    operating_status: Mapped[str] = mapped_column(String(20), default="operating",
                                                  server_default="operating")  # migration 0024
    n: Mapped[int] = mapped_column(Integer)
