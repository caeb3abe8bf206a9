"""Every model, importable from one place (and registered with the metadata)."""

from tracker.models.api import (
    ApiToken,
    IdempotentRequest,
    TokenScope,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookStatus,
)
from tracker.models.audit import AuditEvent
from tracker.models.base import db, utcnow
from tracker.models.client import Client
from tracker.models.engineer import VETTING_SCORES, Engineer, EngineerSkill, Skill
from tracker.models.generation import DataGeneration, TableGeneration
from tracker.models.interview import NO_DOUBLE_INTERVIEW, Interview
from tracker.models.invoice import DocumentNumber, Invoice, InvoiceLine, PayLine, PayStatement
from tracker.models.notification import (
    Notification,
    NotificationKind,
    OutboxEmail,
    OutboxStatus,
)
from tracker.models.placement import NO_DOUBLE_BOOKING, Placement
from tracker.models.proposal import Proposal
from tracker.models.rate import PlacementRate
from tracker.models.review import REVIEW_DIMENSIONS, IterationReview
from tracker.models.staffing_request import RequestSkill, StaffingRequest
from tracker.models.timesheet import Timesheet, TimesheetEntry
from tracker.models.user import User

__all__ = [
    "NO_DOUBLE_BOOKING",
    "NO_DOUBLE_INTERVIEW",
    "REVIEW_DIMENSIONS",
    "VETTING_SCORES",
    "ApiToken",
    "AuditEvent",
    "Client",
    "DataGeneration",
    "DocumentNumber",
    "Engineer",
    "EngineerSkill",
    "IdempotentRequest",
    "Interview",
    "Invoice",
    "InvoiceLine",
    "IterationReview",
    "Notification",
    "NotificationKind",
    "OutboxEmail",
    "OutboxStatus",
    "PayLine",
    "PayStatement",
    "Placement",
    "PlacementRate",
    "Proposal",
    "RequestSkill",
    "Skill",
    "StaffingRequest",
    "TableGeneration",
    "Timesheet",
    "TimesheetEntry",
    "TokenScope",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookStatus",
    "db",
    "utcnow",
]
