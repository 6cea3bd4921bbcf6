"""Imports every model so that `Base.metadata` is complete (Alembic, tests)."""

from complaints.models import (
    CoHandling,
    Complaint,
    ComplaintEvent,
    HolidayYear,
    RoutingRule,
    RoutingRuleChange,
)
from portal.accounts.models import ApiKey, User, UserSession
from portal.backoffice.models import (
    CreditCommitment,
    DisclosureDraft,
    DisclosureVersion,
    InstitutionRule,
)
from portal.core.audit import AuditEvent
from portal.core.db import Base
from portal.core.health import SchedulerBeat
from portal.core.jobs import OutboxJob
from portal.core.notify import Notification, SmsDelivery
from portal.institutions.models import (
    CreditEntry,
    FeeItem,
    FulfilmentAssessment,
    Grade,
    Inspection,
    Institution,
    InstitutionPageDoc,
    Penalty,
    RecordRevision,
    ServiceResources,
)
from portal.opendays.models import OpenDay, Signup
from portal.orgs.models import Department, District, Street
from portal.registry.models import (
    Import,
    ImportChange,
    InstitutionMerge,
    PlaceFollowUp,
    StatusChange,
)
from portal.reviews.models import Review
from portal.stats.models import StatsSnapshot

__all__ = [
    "ApiKey",
    "SchedulerBeat",
    "CoHandling",
    "Complaint",
    "ComplaintEvent",
    "HolidayYear",
    "RoutingRule",
    "RoutingRuleChange",
    "AuditEvent",
    "Base",
    "CreditCommitment",
    "CreditEntry",
    "Department",
    "DisclosureDraft",
    "DisclosureVersion",
    "District",
    "FeeItem",
    "FulfilmentAssessment",
    "Grade",
    "Inspection",
    "Institution",
    "InstitutionPageDoc",
    "InstitutionRule",
    "Notification",
    "OpenDay",
    "OutboxJob",
    "Penalty",
    "RecordRevision",
    "Review",
    "ServiceResources",
    "Signup",
    "SmsDelivery",
    "Import",
    "ImportChange",
    "StatsSnapshot",
    "InstitutionMerge",
    "PlaceFollowUp",
    "StatusChange",
    "Street",
    "User",
    "UserSession",
]
