"""The enumerations of the data model: stored as text, checked by the database."""

from enum import StrEnum


class LabeledEnum(StrEnum):
    """A text enumeration whose members know how a person reads them."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)

    @classmethod
    def choices(cls) -> dict[str, str]:
        """{value: label}, the shape a WTForms SelectField takes."""
        return {m.value: m.label for m in cls}


class Role(LabeledEnum):
    ADMIN = "admin"
    ACCOUNT_MANAGER = "account_manager"
    CLIENT = "client"
    ENGINEER = "engineer"  # an engineer of the roster, in their own area /me/


# The agency's own people: the one definition of "staff". User.is_staff, the staff_required
# views and the navigation all read it.
STAFF_ROLES = frozenset({Role.ADMIN.value, Role.ACCOUNT_MANAGER.value})


class Seniority(LabeledEnum):
    JUNIOR = "junior"  # 1–3 years
    MID = "mid"  # 3–6 years
    SENIOR = "senior"  # 6+ years

    @property
    def rank(self) -> int:
        return list(Seniority).index(self)


class EnglishLevel(LabeledEnum):
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"

    @property
    def label(self) -> str:
        return self.value


class VettingStatus(LabeledEnum):
    SOURCED = "sourced"
    SCREENING = "screening"
    TECHNICAL_INTERVIEW = "technical_interview"
    VETTED = "vetted"
    REJECTED = "rejected"


class RequestStatus(LabeledEnum):
    DRAFT = "draft"
    OPEN = "open"
    ON_HOLD = "on_hold"
    FILLED = "filled"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Priority(LabeledEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ProposalStatus(LabeledEnum):
    SHORTLISTED = "shortlisted"
    PROPOSED = "proposed"
    INTERVIEWING = "interviewing"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class InterviewStatus(LabeledEnum):
    REQUESTED = "requested"  # slots chosen by one side, waiting for the other to confirm one
    SCHEDULED = "scheduled"
    COMPLETED = "completed"  # held, with the client's outcome
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class PlacementStatus(LabeledEnum):
    PENDING = "pending"
    ACTIVE = "active"
    ENDED = "ended"


class EndReason(LabeledEnum):
    COMPLETED = "completed"
    CLIENT_ENDED = "client_ended"
    ENGINEER_LEFT = "engineer_left"
    REPLACED = "replaced"


REVIEW_CADENCES = (7, 14, 30)
LIVE_PLACEMENT_STATUSES = (PlacementStatus.PENDING.value, PlacementStatus.ACTIVE.value)
# A request still being worked on (the request list's default, a client's "active requests").
ACTIVE_REQUEST_STATUSES = (
    RequestStatus.DRAFT.value,
    RequestStatus.OPEN.value,
    RequestStatus.ON_HOLD.value,
)


class TimesheetStatus(LabeledEnum):
    DRAFT = "draft"  # being filled in (or edited again after a rejection)
    SUBMITTED = "submitted"  # waiting for the client
    APPROVED = "approved"  # locked: what the agency bills and pays on
    REJECTED = "rejected"  # sent back with a reason; editing it makes it a draft again


class InvoiceStatus(LabeledEnum):
    """Where an invoice, a credit note or a pay statement stands."""

    DRAFT = "draft"  # being prepared: rebuilt or deleted at will, no number yet
    ISSUED = "issued"  # numbered and sent: never changes again (the database refuses it)
    PAID = "paid"  # the money arrived (an invoice) or went out (a pay statement)


class InvoiceKind(LabeledEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"  # negative lines correcting an issued invoice, same number series
