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
from portal.audit import AuditEvent
from portal.db import Base
from portal.institutions.models import (
    CreditEntry,
    FeeItem,
    Grade,
    Inspection,
    Institution,
    Penalty,
    ServiceResources,
)
from portal.jobs import OutboxJob
from portal.notify import Notification
from portal.opendays.models import OpenDay, Signup
from portal.orgs.models import Department, District, Street
from portal.reviews.models import Review

__all__ = [
    "ApiKey",
    "CoHandling",
    "Complaint",
    "ComplaintEvent",
    "HolidayYear",
    "RoutingRule",
    "RoutingRuleChange",
    "AuditEvent",
    "Base",
    "CreditEntry",
    "Department",
    "District",
    "FeeItem",
    "Grade",
    "Inspection",
    "Institution",
    "Notification",
    "OpenDay",
    "OutboxJob",
    "Penalty",
    "Review",
    "ServiceResources",
    "Signup",
    "Street",
    "User",
    "UserSession",
]
