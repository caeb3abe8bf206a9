"""Hypothesis drives every form with hostile text, numbers, dates and unicode.

Never a 500, and a `<script>` payload never comes back unescaped: not in the answer to the POST,
not on the page it redirects to, not on the lists and pages that show what was stored.
FUZZ_EXAMPLES sets the examples per route (default in tests/fuzzing.py); a thorough local run:
`FUZZ_EXAMPLES=200 .venv/bin/pytest tests/test_fuzz_forms.py -x`.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import sqlalchemy as sa
from flask import url_for
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from tests.conftest import PASSWORD
from tests.fuzzing import (
    CURRENT,
    EXAMPLES,
    Probe,
    ServerErrors,
    csv_uploads,
    fields_of,
    form_data,
    hostile_text,
    make_unique,
    plain_text,
    spec,
    unescaped_markers,
)
from tracker.admin.forms import NewUserForm, PasswordResetForm, UserFilterForm, UserForm
from tracker.auth.accounts import AccessForm
from tracker.auth.forms import ApiTokenForm, ChoosePasswordForm, LoginForm, PasswordChangeForm
from tracker.clients.forms import ClientFilterForm, ClientForm, InviteForm
from tracker.engineers.forms import (
    EngineerFilterForm,
    EngineerForm,
    EngineerSkillForm,
    SkillEditForm,
    SkillForm,
    VettingForm,
)
from tracker.engineers.import_forms import ImportUploadForm
from tracker.engineers.import_routes import SIGNING_SALT
from tracker.extensions import db
from tracker.interviews.forms import (
    CancelForm,
    ConfirmForm,
    NoShowForm,
    OutcomeForm,
    RescheduleForm,
    SlotsForm,
)
from tracker.invoices import forms as invoice_forms
from tracker.matching.forms import ProposalMoveForm, ShortlistForm, WhyNotForm
from tracker.me.forms import TimesheetFilterForm as MeTimesheetFilterForm
from tracker.models import Engineer, Interview, Invoice, StaffingRequest, Timesheet, utcnow
from tracker.models.enums import EndReason, PlacementStatus, RequestStatus, VettingStatus
from tracker.pay_statements.forms import DraftMonthForm, PayFilterForm, PayForm, StatementForm
from tracker.placements.forms import (
    EndDateForm,
    EndForm,
    PlacementForm,
    RateForm,
    ReplaceForm,
    ReviewForm,
)
from tracker.portal.forms import AcceptForm, DeclineForm, PortalRequestForm
from tracker.reports import placement_reports
from tracker.requests.forms import (
    NewRequestForm,
    RequestFilterForm,
    RequestForm,
    StatusForm,
)
from tracker.reviews.forms import ReviewFilterForm
from tracker.services import (
    api_tokens,
    clients,
    engineers,
    invitations,
    invoices,
    pay_statements,
    rates,
    staffing_requests,
    timesheets,
    transaction,
    webhooks,
)
from tracker.services import interviews as interview_service
from tracker.services.notifications import notify
from tracker.services.proposals import DECLINE_REASONS
from tracker.services.timesheets import EntryInput
from tracker.timesheets.forms import (
    ApproveForm,
    ApproveOnBehalfForm,
    ApproveWeekForm,
    RejectForm,
    WeekForm,
)
from tracker.webhooks.forms import EndpointEditForm, EndpointForm

STAFF, ADMIN, CLIENT = "account_manager", "admin", "client"
ENGINEER = "engineer"
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # No "explain" phase: it traces every line of a failing request again, for minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- the world each test fuzzes in ----------------------------------------------------------


@dataclass
class World:
    """The rows every route's scenario builds on; `company` is the client user's company."""

    make: object
    user: object  # the signed-in fuzzer (None on the login form)
    company: object
    client_user: object
    other_company: object
    staff: object
    skills: list
    serial: itertools.count = field(default_factory=lambda: itertools.count(1))


@dataclass
class Scenario:
    """What one route needs: URL values, valid choices, forged values, its record's version."""

    url: dict = field(default_factory=dict)  # a list value: one is drawn per example
    choices: dict = field(default_factory=dict)
    forged: dict = field(default_factory=dict)
    version: Callable[[], int | None] = lambda: None
    pages: tuple[str, ...] = ()  # where what was stored shows, beyond the redirect target


def version_of(model, row_id: int) -> Callable[[], int | None]:
    return lambda: db.session.scalar(sa.select(model.version_id).where(model.id == row_id))


def ids(rows) -> list[str]:
    return [str(r.id) for r in rows]


def days(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


# Good values for the "typical" examples, so that many get past validation into the services.
HOURS = {"workday_start": ["09:00", "08:30"], "workday_end": ["17:00", "18:00", "01:00"]}
REQUEST_VALUES = HOURS | {
    "start_date": [days(14), days(60)],
    "min_overlap_hours": ["4", "4.5", "0"],
    "headcount": ["1", "2"],
    "duration_weeks": ["26", ""],
    "max_bill_rate": ["", "120", "0"],
}


def skill_rows(w: World) -> dict:
    """One must-have, maybe a nice-to-have, a blank row: what passes the service's checks."""
    first, second = ids(w.skills)
    return {
        "skill_rows-0-skill_id": [first],
        "skill_rows-0-min_level": ["3"],
        "skill_rows-0-importance": ["must"],
        "skill_rows-1-skill_id": ["", second],
        "skill_rows-1-importance": ["nice"],
        "skill_rows-2-skill_id": [""],
    }


def company_request(w: World, **kw):
    return w.make.request(client=w.company, **kw)


def live_placement(w: World, **kw):
    kw.setdefault("start", date.today() - timedelta(days=60))
    return w.make.placement(request=company_request(w), **kw)


def nothing(w: World) -> Scenario:
    return Scenario()


def new_client(w):
    return Scenario(
        choices={"account_manager_id": ["", str(w.staff.id), str(w.user.id)]} | HOURS,
        pages=("/clients/", "/requests/new"),
    )


def edit_client(w):
    c = w.make.client(account_manager_id=w.staff.id)
    return Scenario(
        url={"client_id": c.id},
        choices=new_client(w).choices,
        version=version_of(type(c), c.id),
        pages=(f"/clients/{c.id}", "/clients/", "/clients/?show=archived"),
    )


ENGINEER_VALUES = HOURS | {
    "phone": ["+55 11 91234-5678", ""],
    "years_experience": ["5"],
    "hourly_rate": ["45.50"],
    "available_from": ["", days(7)],
}


def new_engineer(w):
    return Scenario(choices=ENGINEER_VALUES, pages=("/engineers/",))


def an_engineer(w):
    e = w.make.engineer(skills={w.skills[0].name: 3})
    return Scenario(
        url={"engineer_id": e.id, "skill_id": w.skills[0].id},
        choices={"skill_id": ["", *ids(w.skills)], "status": list(VettingStatus.values())}
        | ENGINEER_VALUES
        | {"level": ["3"], "years": ["", "2"]},
        version=version_of(type(e), e.id),
        pages=(f"/engineers/{e.id}", "/engineers/", "/engineers/?show=archived"),
    )


def catalogue(w):
    return Scenario(pages=("/engineers/skills", "/engineers/"))


def a_skill(w):
    return Scenario(url={"skill_id": w.make.skill().id}, pages=catalogue(w).pages)


def new_request(w):
    return Scenario(
        choices={"client_id": [str(w.company.id)], **skill_rows(w), **REQUEST_VALUES},
        pages=("/requests/", "/dashboard/", "/portal/requests/"),
    )


def edit_request(w):
    r = company_request(w, skills={w.skills[0].name: (3, True)})
    return Scenario(
        url={"request_id": r.id},
        choices=new_request(w).choices,
        version=version_of(StaffingRequest, r.id),
        pages=(f"/requests/{r.id}", f"/requests/{r.id}/matches", f"/portal/requests/{r.id}"),
    )


def move_request(w):
    status = ("draft", "open", "on_hold", "filled", "closed")[next(w.serial) % 5]
    r = company_request(w, status=status)
    return Scenario(
        url={"request_id": r.id},
        choices={"status": list(RequestStatus.values())},
        version=version_of(StaffingRequest, r.id),
        pages=("/requests/",),
    )


def shortlist(w):
    r = company_request(w, skills={w.skills[0].name: (2, True)})
    roster = [w.make.engineer(skills={w.skills[0].name: 4}) for _ in range(3)]
    return Scenario(
        url={"request_id": r.id},
        choices={"engineer_id": ids(roster)},
        pages=(f"/requests/{r.id}",),
    )


def a_proposal(w):
    p = w.make.proposal(request=company_request(w), status="proposed", proposed_at=utcnow())
    return Scenario(
        url={"proposal_id": p.id},
        choices={"reason": list(DECLINE_REASONS), "decline_reason": list(DECLINE_REASONS)},
        version=version_of(type(p), p.id),
        pages=(f"/requests/{p.request_id}", f"/portal/proposals/{p.id}", "/notifications/"),
    )


# Interviews: a proposal put to the company; the slots offered are the good values, a few
# forged ones (off the grid, at night, in the past) the bad.


def _keys(slots) -> list[str]:
    return [interview_service.slot_key(s) for s in slots]


def _forged_keys(slots) -> list[str]:
    first = slots[0][0]
    return _keys([(first + timedelta(minutes=10), first), (first - timedelta(days=2), first)])


def _meeting(w, engineer=None, status: str = "requested", held: bool = False):
    request = company_request(w, skills={w.skills[0].name: (3, True)})
    p = w.make.proposal(
        request=request, engineer=engineer or w.make.engineer(), status="proposed",
        proposed_at=utcnow(),
    )  # fmt: skip
    offered = interview_service.offered_slots(p)
    if status == "new":
        return p, offered, None
    with transaction():
        interview = interview_service.ask(p, w.client_user, offered[:3])
    if held:  # scheduled, and begun an hour ago: the outcome may be recorded
        begins = utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
        interview.status, interview.choices = "scheduled", []
        interview.starts_at, interview.ends_at = begins, begins + timedelta(minutes=45)
        db.session.commit()
    elif status == "scheduled":
        with transaction():
            interview_service.confirm(interview, w.staff, offered[0])
    return p, offered, interview


def _meeting_scenario(p, offered, interview) -> Scenario:
    keys = _keys(offered)
    pages = (f"/portal/proposals/{p.id}", "/interviews/", "/portal/interviews/")
    if interview is None:
        url: dict = {"proposal_id": p.id}
        version = Scenario().version
    else:
        url = {"proposal_id": p.id, "interview_id": interview.id}
        version = version_of(Interview, interview.id)
        pages = (
            f"/interviews/{interview.id}", f"/portal/interviews/{interview.id}",
            f"/me/interviews/{interview.id}", *pages,
        )  # fmt: skip
    return Scenario(
        url=url,
        choices={
            "slots": [keys[0], keys[3:6], keys[4]],
            "slot": keys[:5],
            "meeting_url": ["", "https://meet.example.com/abc-defg"],
            "reason": ["", "The lead is ill"],
            "party": ["engineer", "client"],
            "overall": ["4", "2"],
            "skill_0": ["5", "3"],
            "would_continue": ["yes", "no"],
        },
        forged={"slots": _forged_keys(offered), "slot": _forged_keys(offered)},
        version=version,
        pages=pages,
    )


def an_interview_to_ask(w):
    return _meeting_scenario(*_meeting(w, status="new"))


def a_requested_interview(w):
    return _meeting_scenario(*_meeting(w))


def a_scheduled_interview(w):
    return _meeting_scenario(*_meeting(w, status="scheduled"))


def a_held_interview(w):
    return _meeting_scenario(*_meeting(w, held=True))


def my_requested_interview(w):
    return _meeting_scenario(*_meeting(w, engineer=w.user.engineer))


def new_placement(w):
    r = company_request(w, headcount=2)
    today = date.today()
    old = w.make.placement(
        request=r,
        start=today - timedelta(days=90),
        end=today - timedelta(days=5),
        status="ended",
        end_reason="replaced",
    )
    p = w.make.proposal(request=r, status="accepted")
    return Scenario(
        url={"proposal_id": p.id},
        choices={
            "replaces_id": ["", str(old.id)],
            "start_date": [days(3)],
            "end_date": ["", days(200)],
            "pay_rate": ["40"],
            "bill_rate": ["60.5"],
            "hours_per_week": ["40", "37.5"],
        },
        pages=("/placements/", "/portal/placements/"),
    )


def a_placement(w, **kw):
    p = live_placement(w, **kw)
    return Scenario(
        url={"placement_id": p.id, "number": [1, 2, 3]},
        choices={
            "end-reason": list(EndReason.values()),
            "end-last_day": [days(0), days(-1)],
            "replace-last_day": [days(0)],
            "dates-end_date": ["", days(100)],
        },
        version=version_of(type(p), p.id),
        pages=(
            f"/placements/{p.id}",
            f"/portal/placements/{p.id}",
            "/placements/",
            "/reviews/",
            "/dashboard/",
        ),
    )


def pending_placement(w):
    return a_placement(w, start=date.today() + timedelta(days=10), status="pending")


def a_token(w):
    new = api_tokens.create_token(w.user, f"fuzz {next(w.serial)}")
    db.session.commit()
    return Scenario(url={"token_id": new.token.id}, pages=("/account/tokens",))


WEBHOOK_URLS = ["http://127.0.0.1:9/hooks", "https://crm.example.com/hooks/tracker"]


def new_webhook(w):
    return Scenario(choices={"url": WEBHOOK_URLS}, pages=("/webhooks/",))


def a_webhook(w):
    """An endpoint with a delivery queued (a ping), on the pages that show both."""
    new = webhooks.create_endpoint(
        f"{WEBHOOK_URLS[0]}/{next(w.serial)}", ["proposal.created"], w.staff, description="fuzz"
    )
    delivery = webhooks.send_ping(new.endpoint, w.staff)
    db.session.commit()
    endpoint_id = new.endpoint.id
    return Scenario(
        url={"endpoint_id": endpoint_id, "delivery_id": delivery.id},
        pages=(f"/webhooks/{endpoint_id}", "/webhooks/"),
    )


def a_notification(w):
    link = "/portal/" if w.user.is_client else "/dashboard/"
    (n,) = notify(
        [w.user],
        kind="review_due",
        title='Review due <script>alert(1)</script>"><img src=x onerror=alert(1)>',
        body="<script>alert(1)</script>",
        link=link,
        key=f"fuzz-{next(w.serial)}",
    )
    db.session.commit()
    return Scenario(
        url={"notification_id": n.id}, choices={"id": ["", str(n.id)]}, pages=("/notifications/",)
    )


def portal_request(w):
    return Scenario(
        choices=skill_rows(w) | REQUEST_VALUES,
        forged={"client_id": [str(w.other_company.id)], "priority": ["urgent"]},
        pages=("/portal/requests/", "/portal/", "/requests/", "/notifications/"),
    )


def only_own_drafts(w):
    """Whatever a client posted, their requests are their company's drafts, at normal priority."""
    rows = db.session.execute(
        sa.select(StaffingRequest.client_id, StaffingRequest.status, StaffingRequest.priority)
    ).all()
    assert {tuple(r) for r in rows} <= {(w.company.id, "draft", "normal")}


def login(w):
    return Scenario(choices={"email": [w.client_user.email], "password": [PASSWORD]})


def own_password(w):
    return Scenario(choices={"current": [PASSWORD]})


def a_user(w):
    u = w.make.user(role=STAFF)
    return Scenario(
        url={"user_id": u.id},
        choices={"client_id": ["", str(w.company.id)]},
        pages=(f"/admin/users/{u.id}", "/admin/users"),
    )


def a_portal_user(w):
    u = w.make.user(role="client", client=w.company)
    return Scenario(
        url={"client_id": w.company.id, "user_id": u.id},
        choices={"active": ["on", "off"]},
        pages=(f"/clients/{w.company.id}",),
    )


def an_invitation(w):
    """The link of an invitation not yet used: its token is the URL."""
    u = w.make.user(role="client", client=w.company)
    return Scenario(url={"token": invitations.invitation_path(u).rsplit("/", 1)[1]})


# Timesheets: a week of hours by the placement's engineer, answered by the client or by staff.
LAST_WEEK = date.today() - timedelta(days=date.today().weekday() + 7)


def week_of_hours(w: World, placement) -> Timesheet:
    """Last week, entered and submitted by the placement's engineer through the service."""
    user = w.make.user(role="engineer", engineer=placement.engineer)
    entries = [EntryInput(LAST_WEEK + timedelta(days=k), Decimal(8)) for k in range(5)]
    with transaction():
        sheet = timesheets.save_week(placement, LAST_WEEK, entries, user, today=date.today())
        timesheets.submit(sheet, user, today=date.today())
    return sheet


def a_timesheet(w):
    p = live_placement(w)
    t = week_of_hours(w, p)
    return Scenario(
        url={"timesheet_id": t.id},
        version=version_of(Timesheet, t.id),
        pages=(
            f"/portal/timesheets/{t.id}",
            "/portal/timesheets/",
            f"/timesheets/{t.id}",
            "/timesheets/",
            f"/placements/{p.id}",
        ),
    )


def a_waiting_week(w):
    """Two engineers' hours of last week; `shown` lists every one waiting, as the page does."""
    for _ in range(2):
        week_of_hours(w, live_placement(w))
    waiting = timesheets.waiting_for_client(w.company.id, LAST_WEEK)
    return Scenario(
        url={"week": LAST_WEEK.isoformat()},
        choices={"shown": [ApproveWeekForm.listing(waiting)]},
        pages=("/portal/timesheets/", "/timesheets/"),
    )


def a_week_to_enter(w):
    p = live_placement(w)
    choices: dict[str, list[str]] = {}
    for k in range(7):
        choices[f"days-{k}-work_date"] = [(LAST_WEEK + timedelta(days=k)).isoformat()]
        choices[f"days-{k}-hours"] = ["8", "7.5", "7:45", ""]
        choices[f"days-{k}-note"] = ["", "Sprint review"]
    return Scenario(
        url={"placement_id": p.id, "week": LAST_WEEK.isoformat()},
        choices=choices,
        version=lambda: db.session.scalar(
            sa.select(Timesheet.version_id).where(
                Timesheet.placement_id == p.id, Timesheet.week_start == LAST_WEEK
            )
        ),
        pages=(f"/placements/{p.id}", "/timesheets/", "/portal/timesheets/"),
    )


def an_engineer_account(w):
    e = w.make.engineer()
    w.make.user(role="engineer", engineer=e)
    return Scenario(
        url={"engineer_id": e.id},
        choices={"active": ["on", "off"]},
        pages=(f"/engineers/{e.id}",),
    )


def own_week(w):
    """The signed-in engineer's placement with the company, and last week to fill in: what
    they type shows in their area, on the staff pages and in the client's portal."""
    p = live_placement(w, engineer=w.user.engineer)
    choices: dict[str, list[str]] = {}
    for k in range(7):
        choices[f"days-{k}-work_date"] = [(LAST_WEEK + timedelta(days=k)).isoformat()]
        choices[f"days-{k}-hours"] = ["8", "7,5", "7:45", ""]
        choices[f"days-{k}-note"] = ["", "Sprint review"]
    week_url = f"/me/placements/{p.id}/weeks/{LAST_WEEK.isoformat()}"
    return Scenario(
        url={"placement_id": p.id, "week": LAST_WEEK.isoformat()},
        choices=choices,
        version=lambda: db.session.scalar(
            sa.select(Timesheet.version_id).where(
                Timesheet.placement_id == p.id, Timesheet.week_start == LAST_WEEK
            )
        ),
        pages=(
            week_url,
            "/me/timesheets/",
            f"/placements/{p.id}",
            "/timesheets/",
            "/portal/timesheets/",
        ),
    )


# Pay statements: an engineer's approved hours of last week, drafted (and issued) by staff.


def approved_hours(w: World):
    """A placement with its first rate and last week's hours, approved by the client."""
    p = live_placement(w)
    rates.start_rates(p, w.staff)
    sheet = week_of_hours(w, p)
    with transaction():
        timesheets.approve(sheet, w.client_user, today=date.today())
    return p


def a_month_to_draft(w):
    approved_hours(w)
    month = f"{LAST_WEEK:%Y-%m}"
    return Scenario(
        choices={"month": [month, "", "2026-13"]}, pages=(f"/pay-statements/?month={month}",)
    )


def a_pay_statement(w, issue: bool = False):
    p = approved_hours(w)
    with transaction():
        statement, _ = pay_statements.draft(p.engineer, LAST_WEEK, w.staff)
        if issue:
            pay_statements.issue(statement, w.staff, today=date.today())
    return Scenario(
        url={"statement_id": statement.id},
        choices={"paid_on": [date.today().isoformat()]},
        version=version_of(type(statement), statement.id),
        pages=(f"/pay-statements/{statement.id}", "/pay-statements/"),
    )


def an_issued_pay_statement(w):
    return a_pay_statement(w, issue=True)


# Invoices: the company's approved hours of last week, drafted (and issued) by staff.

BILLED_MONTH = f"{LAST_WEEK:%Y-%m}"
INVOICE_LISTS = (f"/invoices/?month={BILLED_MONTH}", "/invoices/", "/portal/invoices/")


def a_month_to_bill(w):
    approved_hours(w)
    months = [BILLED_MONTH, "", "2026-13"]
    return Scenario(
        choices={
            "draft-month": months,
            "one-month": months,
            "one-client_id": [str(w.company.id), str(w.other_company.id), ""],
        },
        pages=INVOICE_LISTS,
    )


def an_invoice(w, issue: bool = False):
    approved_hours(w)
    with transaction():
        invoice, _ = invoices.draft(w.company, LAST_WEEK, w.staff)
        if issue:
            invoices.issue(invoice, w.staff, today=date.today())
    return Scenario(
        url={"invoice_id": invoice.id},
        choices={
            "pay-paid_on": [date.today().isoformat(), days(-1)],
            # One line, or all of them (as many as earlier credits made billable again).
            "credit-lines": [ids(invoice.lines)[0], ids(invoice.lines)],
            "credit-amount": ["", "10", "$1,200.50", "0.01"],
            "credit-reason": ["Hours billed twice", ""],
        },
        version=version_of(Invoice, invoice.id),
        pages=(f"/invoices/{invoice.id}", f"/portal/invoices/{invoice.id}", *INVOICE_LISTS),
    )


def an_issued_invoice(w):
    return an_invoice(w, issue=True)


# --- every POST endpoint and how to fuzz it ---------------------------------------------------


@dataclass(frozen=True)
class Route:
    fields: tuple
    setup: Callable[[World], Scenario] = nothing
    role: str | None = STAFF
    fresh: bool = False  # a new scenario per example: the action changes its record for good
    verify: Callable[[World], None] | None = None  # after the examples: what must hold


UNIQUE = {"unique": True}
# The outcome form has a rating per must-have skill (the scenarios' requests have one).
OUTCOME_FIELDS = (*fields_of(OutcomeForm), spec("skill_0", "select", choices=("1", "2", "3")))
SAME = {"same_as": "password"}
PATH = {"kind": "path"}
ROUTE_FORMS: dict[str, Route] = {
    "auth.login": Route(fields_of(LoginForm), login, role=None),
    "auth.change_password": Route(fields_of(PasswordChangeForm, confirm=SAME), own_password),
    "auth.invitation": Route(
        fields_of(ChoosePasswordForm, confirm=SAME), an_invitation, role=None, fresh=True
    ),
    "clients.create": Route(fields_of(ClientForm, name=UNIQUE), new_client),
    "clients.invite": Route(fields_of(InviteForm, email=UNIQUE), edit_client),
    "clients.access": Route(fields_of(AccessForm), a_portal_user, fresh=True),
    "clients.resend": Route((), a_portal_user, fresh=True),
    "clients.edit": Route(fields_of(ClientForm, name=UNIQUE), edit_client),
    "clients.archive": Route((), edit_client),
    "clients.restore": Route((), edit_client),
    "engineers.create": Route(fields_of(EngineerForm, email=UNIQUE), new_engineer),
    "engineers.edit": Route(fields_of(EngineerForm, email=UNIQUE), an_engineer),
    "engineers.archive": Route((), an_engineer),
    "engineers.restore": Route((), an_engineer),
    "engineers.vetting": Route(fields_of(VettingForm, status={"kind": "select"}), an_engineer),
    "engineers.skill_set": Route(fields_of(EngineerSkillForm, new_skill=UNIQUE), an_engineer),
    "engineers.skill_remove": Route((), an_engineer),
    "engineers.import_upload": Route(fields_of(ImportUploadForm), new_engineer),
    "engineers.skills": Route(fields_of(SkillForm, name=UNIQUE), catalogue),
    "engineers.skill_update": Route(fields_of(SkillEditForm, name=UNIQUE), a_skill),
    "engineers.skill_delete": Route((), a_skill, fresh=True),
    "engineers.account_invite": Route((), an_engineer, fresh=True),
    "engineers.account_access": Route(fields_of(AccessForm), an_engineer_account, fresh=True),
    "engineers.account_resend": Route((), an_engineer_account, fresh=True),
    "requests.create": Route(fields_of(NewRequestForm), new_request),
    "requests.edit": Route(fields_of(RequestForm), edit_request),
    "requests.move": Route(
        fields_of(StatusForm, status={"kind": "select"}), move_request, fresh=True
    ),
    "matching.shortlist": Route(fields_of(ShortlistForm, engineer_id={"kind": "id"}), shortlist),
    "matching.move": Route(fields_of(ProposalMoveForm, next=PATH), a_proposal, fresh=True),
    "placements.create": Route(fields_of(PlacementForm), new_placement, fresh=True),
    "placements.activate": Route((), pending_placement, fresh=True),
    "placements.end": Route(fields_of(EndForm, prefix="end"), a_placement, fresh=True),
    "placements.end_date": Route(fields_of(EndDateForm, prefix="dates"), a_placement),
    "placements.change_rates": Route(fields_of(RateForm, prefix="rates"), a_placement),
    "placements.replace": Route(fields_of(ReplaceForm, prefix="replace"), a_placement, fresh=True),
    "placements.review": Route(fields_of(ReviewForm), a_placement),
    "timesheets.approve": Route(fields_of(ApproveOnBehalfForm, next=PATH), a_timesheet, fresh=True),
    "timesheets.reject": Route(fields_of(RejectForm, next=PATH), a_timesheet, fresh=True),
    "timesheets.week": Route(fields_of(WeekForm, rows=7), a_week_to_enter, fresh=True),
    "pay_statements.draft_month": Route(fields_of(DraftMonthForm), a_month_to_draft),
    "pay_statements.rebuild": Route(fields_of(StatementForm), a_pay_statement, fresh=True),
    "pay_statements.issue": Route(fields_of(StatementForm), a_pay_statement, fresh=True),
    "pay_statements.delete": Route(fields_of(StatementForm), a_pay_statement, fresh=True),
    "pay_statements.pay": Route(fields_of(PayForm), an_issued_pay_statement, fresh=True),
    "invoices.draft_month": Route(
        fields_of(invoice_forms.DraftMonthForm, prefix="draft"), a_month_to_bill
    ),
    "invoices.draft_client": Route(
        fields_of(invoice_forms.DraftClientForm, prefix="one"), a_month_to_bill
    ),
    "invoices.rebuild": Route(fields_of(invoice_forms.InvoiceActionForm), an_invoice, fresh=True),
    "invoices.issue": Route(fields_of(invoice_forms.InvoiceActionForm), an_invoice, fresh=True),
    "invoices.delete": Route(fields_of(invoice_forms.InvoiceActionForm), an_invoice, fresh=True),
    "invoices.pay": Route(
        fields_of(invoice_forms.PayForm, prefix="pay"), an_issued_invoice, fresh=True
    ),
    "invoices.credit": Route(
        fields_of(invoice_forms.CreditForm, prefix="credit"), an_issued_invoice, fresh=True
    ),
    "portal.request_new": Route(
        fields_of(PortalRequestForm), portal_request, role=CLIENT, verify=only_own_drafts
    ),
    "portal.proposal_accept": Route(fields_of(AcceptForm), a_proposal, role=CLIENT, fresh=True),
    "portal.proposal_decline": Route(fields_of(DeclineForm), a_proposal, role=CLIENT, fresh=True),
    "portal.placement_review": Route(fields_of(ReviewForm), a_placement, role=CLIENT),
    "portal.timesheet_approve": Route(
        fields_of(ApproveForm, next=PATH), a_timesheet, role=CLIENT, fresh=True
    ),
    "portal.timesheet_reject": Route(
        fields_of(RejectForm, next=PATH), a_timesheet, role=CLIENT, fresh=True
    ),
    "portal.timesheet_week_approve": Route(
        fields_of(ApproveWeekForm), a_waiting_week, role=CLIENT, fresh=True
    ),
    # Not fresh: one engineer holds one placement at a time (the examples share it).
    "me.week": Route(fields_of(WeekForm, rows=7), own_week, role=ENGINEER),
    "interviews.ask": Route(fields_of(SlotsForm), an_interview_to_ask, fresh=True),
    "interviews.confirm": Route(fields_of(ConfirmForm), a_requested_interview, fresh=True),
    "interviews.propose": Route(fields_of(SlotsForm), a_requested_interview, fresh=True),
    "interviews.reschedule": Route(fields_of(RescheduleForm), a_scheduled_interview, fresh=True),
    "interviews.cancel": Route(fields_of(CancelForm), a_scheduled_interview, fresh=True),
    "interviews.outcome": Route(OUTCOME_FIELDS, a_held_interview, fresh=True),
    "interviews.no_show": Route(fields_of(NoShowForm), a_held_interview, fresh=True),
    "portal.interview_ask": Route(
        fields_of(SlotsForm), an_interview_to_ask, role=CLIENT, fresh=True
    ),
    "portal.interview_confirm": Route(
        fields_of(ConfirmForm), a_requested_interview, role=CLIENT, fresh=True
    ),
    "portal.interview_propose": Route(
        fields_of(SlotsForm), a_requested_interview, role=CLIENT, fresh=True
    ),
    "portal.interview_cancel": Route(
        fields_of(CancelForm), a_scheduled_interview, role=CLIENT, fresh=True
    ),
    "portal.interview_outcome": Route(OUTCOME_FIELDS, a_held_interview, role=CLIENT, fresh=True),
    "portal.interview_no_show": Route(
        fields_of(NoShowForm), a_held_interview, role=CLIENT, fresh=True
    ),
    "me.interview_confirm": Route(
        fields_of(ConfirmForm), my_requested_interview, role=ENGINEER, fresh=True
    ),
    "me.interview_propose": Route(
        fields_of(SlotsForm), my_requested_interview, role=ENGINEER, fresh=True
    ),
    "me.interview_cancel": Route(
        fields_of(CancelForm), my_requested_interview, role=ENGINEER, fresh=True
    ),
    "notifications.read": Route(
        (spec("id", "id"), spec("next", "path")), a_notification, fresh=True
    ),
    "notifications.open": Route((), a_notification, fresh=True),
    "auth.create_token": Route(fields_of(ApiTokenForm), nothing),
    "auth.revoke_token": Route((), a_token, fresh=True),
    "webhooks.create": Route(fields_of(EndpointForm), new_webhook),
    "webhooks.edit": Route(fields_of(EndpointEditForm), a_webhook),
    "webhooks.ping": Route((), a_webhook),
    "webhooks.retry": Route((), a_webhook),
    "webhooks.delete": Route((), a_webhook, fresh=True),
    "admin.users_create": Route(
        fields_of(NewUserForm, email=UNIQUE, confirm=SAME), a_user, role=ADMIN
    ),
    "admin.users_edit": Route(fields_of(UserForm), a_user, role=ADMIN),
    "admin.users_password": Route(
        fields_of(PasswordResetForm, prefix="pw", confirm=SAME), a_user, role=ADMIN
    ),
}

# POST endpoints fuzzed elsewhere, each for a reason.
NOT_IN_TABLE = {
    # Takes no input and ends the session every other example needs; see its own test below.
    "auth.logout",
    # Takes one signed payload, not a form a person fills in: test_import_confirm_* below.
    "engineers.import_confirm",
}


def test_every_post_endpoint_is_fuzzed(app):
    """A new form gets fuzzed: every POST rule is in the table or explicitly set aside."""
    posting = {
        r.endpoint
        for r in app.url_map.iter_rules()
        # The API's operations are fuzzed against their schema: tests/api/test_schemathesis.py.
        if "POST" in r.methods
        and r.endpoint not in ("static", "health")
        and not r.rule.startswith("/api/")
    }
    assert posting - set(ROUTE_FORMS) - NOT_IN_TABLE == set(), "add these to ROUTE_FORMS"
    assert set(ROUTE_FORMS) - posting == set(), "no such POST endpoints (any more)"
    assert posting >= NOT_IN_TABLE


def test_fields_are_named_as_the_browser_posts_them():
    names = {f.name for route in ROUTE_FORMS.values() for f in route.fields}
    assert {"end-reason", "dates-end_date", "replace-last_day", "pw-password"} <= names
    assert {"skill_rows-0-skill_id", "skill_rows-2-importance", "version_id"} <= names
    kinds = {f.name: f.kind for f in ROUTE_FORMS["placements.create"].fields}
    assert kinds == {
        "start_date": "date",
        "end_date": "date",
        "pay_rate": "decimal",
        "bill_rate": "decimal",
        "hours_per_week": "decimal",
        "review_cadence_days": "select",
        "replaces_id": "select",
        "submit": "submit",
    }


def test_the_payload_check_sees_what_it_must(client, auth, make, server_errors):
    """The check is not vacuous: a stored payload shows, escaped, and a raw one would be caught."""
    auth.login_as(STAFF)
    make.client(name="<script>alert(1)</script> Corp")
    page = probe(client, server_errors, "clients.index").send("GET", "/clients/")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Corp" in page.text
    assert unescaped_markers(page.text.replace("&lt;", "<").replace("&gt;", ">"))


# --- the checks ---------------------------------------------------------------------------


@pytest.fixture
def server_errors(app):
    handler = ServerErrors()
    app.logger.addHandler(handler)
    yield handler
    app.logger.removeHandler(handler)


def probe(client, server_errors, endpoint: str) -> Probe:
    return Probe(client, server_errors, endpoint)


def as_posted(value, scenario: Scenario):
    """A drawn value as the test client posts it (versions resolved, uploads as files)."""
    if value is CURRENT:
        version = scenario.version()
        return "" if version is None else str(version)
    if isinstance(value, tuple):  # an upload: (bytes, filename)
        return (BytesIO(value[0]), value[1])
    if isinstance(value, list):
        return [as_posted(v, scenario) for v in value]
    return value


# --- the fuzz ------------------------------------------------------------------------------


def build_world(make, auth, role: str | None) -> World:
    company = make.client(name="Acme <script>alert(1)</script> Corp")
    client_user = make.user(role=CLIENT, client=company, name='Ana "><img src=x onerror=alert(1)>')
    staff = make.user(role=STAFF)
    if role == CLIENT:
        auth.login(client_user.email)
        user = client_user
    else:
        user = auth.login_as(role) if role else None
    skills = [make.skill("Python"), make.skill("PyTorch <script>alert(1)</script>")]
    return World(make, user, company, client_user, make.client(), staff, skills)


def is_portal(path: str) -> bool:
    return path.startswith("/portal/")


def viewer_of(path: str) -> str:
    """Whose page it is: the client's users (/portal/), the engineer (/me/), else staff."""
    if is_portal(path):
        return CLIENT
    return ENGINEER if path.startswith("/me/") else STAFF


def signed_in(app, user):
    """A second browser, signed in as the user: whoever sees the data from the other side."""
    browser = app.test_client()
    assert (
        browser.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )
    return browser


@pytest.mark.parametrize("endpoint", sorted(ROUTE_FORMS))
def test_form_survives_hostile_input(endpoint, app, client, auth, make, server_errors):
    route = ROUTE_FORMS[endpoint]
    world = build_world(make, auth, route.role)
    shared = None if route.fresh else route.setup(world)
    (arguments,) = {tuple(r.arguments) for r in app.url_map.iter_rules(endpoint)}
    checked = probe(client, server_errors, endpoint)
    stored_on: list[str] = []

    @FUZZ_SETTINGS
    @given(data=st.data())
    def fuzz(data):
        scenario = route.setup(world) if route.fresh else shared
        values = {
            k: data.draw(st.sampled_from(v), label=k) if isinstance(v, list) else v
            for k, v in scenario.url.items()
            if k in arguments
        }
        with app.test_request_context():
            url = url_for(endpoint, **values)
        drawn = data.draw(form_data(route.fields, scenario.choices, scenario.forged), label="form")
        drawn = make_unique(drawn, route.fields)
        posted = {k: as_posted(v, scenario) for k, v in drawn.items()}
        response = checked.send("POST", url, drawn, data=posted)
        checked.follow(response, drawn)
        if route.role is None and response.status_code == 302:
            client.post("/logout")  # the login form worked: back to anonymous
        stored_on[:] = list(dict.fromkeys([*scenario.pages, *stored_on]))[:8]

    fuzz._hypothesis_internal_add_digest = endpoint.encode()  # its own examples database key
    fuzz()

    own = route.role if route.role in (CLIENT, ENGINEER) else STAFF
    if route.role is not None:
        checked.sweep([p for p in stored_on if viewer_of(p) == own])
    for role, viewer in ((STAFF, world.staff), (CLIENT, world.client_user)):
        if role != own and (theirs := [p for p in stored_on if viewer_of(p) == role]):
            probe(signed_in(app, viewer), server_errors, endpoint).sweep(theirs)
    if route.verify:
        route.verify(world)


def test_logout_ignores_whatever_is_posted(client, auth, server_errors):
    auth.login_as(STAFF)
    garbage = {"next": "//evil.example/", "x": "\x00<script>alert(1)</script>"}
    response = probe(client, server_errors, "auth.logout").send("POST", "/logout", data=garbage)
    assert response.headers["Location"] == "/login"


# --- the CSV import confirmation: one signed payload ------------------------------------------


def _signer(app, salt: str = SIGNING_SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=salt)


CONFIRM = "engineers.import_confirm"


def test_import_confirm_refuses_a_payload_it_did_not_sign(app, client, auth, server_errors):
    """Garbage, another salt, a tampered signature: 400 and nothing imported, never a 500."""
    auth.login_as(STAFF)
    checked = probe(client, server_errors, CONFIRM)

    @FUZZ_SETTINGS
    @given(text=st.one_of(hostile_text(), st.text(max_size=300), st.binary(max_size=200).map(repr)))
    def fuzz(text):
        preview = {"csv": text, "filename": "engineers.csv"}
        signed = _signer(app).dumps(preview)
        forged = _signer(app, salt="another-salt").dumps(preview)
        for payload in (text, forged, signed[:-3] + "abc", signed + "x", ""):
            response = checked.send(
                "POST", "/engineers/import/confirm", payload, data={"payload": payload}
            )
            assert response.status_code == 400, payload

    fuzz()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Engineer)) == 0


def test_import_confirm_survives_any_file_it_signed(app, client, auth, server_errors):
    """A signed preview of any file, in any shape (as a leaked key could make): no 500."""
    auth.login_as(STAFF)
    checked = probe(client, server_errors, CONFIRM)

    @FUZZ_SETTINGS
    @given(
        upload=csv_uploads(),
        filename=st.one_of(plain_text(60), hostile_text()),
        shape=st.sampled_from(("dict", "list", "no filename", "text")),
    )
    def fuzz(upload, filename, shape):
        text = upload[0].decode("utf-8", errors="replace")
        preview = {
            "dict": {"csv": text, "filename": filename},
            "list": [text, filename],
            "no filename": {"csv": text},
            "text": text,
        }[shape]
        payload = _signer(app).dumps(preview)
        response = checked.send(
            "POST", "/engineers/import/confirm", preview, data={"payload": payload}
        )
        checked.follow(response, preview)

    fuzz()


# --- list pages: query strings ---------------------------------------------------------------

# The placements list reads request.args directly (no form).
PLACEMENT_FILTERS = (
    spec("q", "text", max_length=100),
    spec("status", "select", choices=("", *PlacementStatus.values())),
    spec("health", "select", choices=("", "red", "amber", "green")),
)
SORT_KEYS = {
    *clients.SORTS,
    *engineers.SORTS,
    *staffing_requests.SORTS,
    *placement_reports.SORTS,
    *placement_reports.REVIEW_SORTS,
}
PAGING = (
    spec("sort", "select", choices=("", *sorted(SORT_KEYS), *(f"-{k}" for k in sorted(SORT_KEYS)))),
    spec("page", "int", low=1, high=3),
    spec("per_page", "int", low=1, high=200),
)


@dataclass(frozen=True)
class ListPage:
    fields: tuple
    role: str = STAFF
    url: dict = field(default_factory=dict)


LIST_PAGES: dict[str, ListPage] = {
    "clients.index": ListPage(fields_of(ClientFilterForm) + PAGING),
    "engineers.index": ListPage(fields_of(EngineerFilterForm) + PAGING),
    "engineers.export": ListPage(fields_of(EngineerFilterForm) + PAGING),
    "engineers.skills": ListPage((spec("edit", "id"),)),
    "requests.index": ListPage(fields_of(RequestFilterForm) + PAGING),
    "requests.export": ListPage(fields_of(RequestFilterForm) + PAGING),
    "requests.create": ListPage((spec("client_id", "id"),)),
    "placements.index": ListPage(PLACEMENT_FILTERS + PAGING),
    "placements.export": ListPage(PLACEMENT_FILTERS + PAGING),
    "reviews.index": ListPage(fields_of(ReviewFilterForm) + PAGING),
    "reviews.export": ListPage(fields_of(ReviewFilterForm) + PAGING),
    "matching.index": ListPage(fields_of(WhyNotForm), url={"request_id": None}),
    "notifications.index": ListPage(PAGING),
    "dashboard.index": ListPage(PAGING),
    "auth.login": ListPage((spec("next", "path"),)),
    "admin.users_index": ListPage(fields_of(UserFilterForm) + PAGING, role=ADMIN),
    "portal.index": ListPage(PAGING, role=CLIENT),
    "portal.requests": ListPage(PAGING, role=CLIENT),
    "portal.proposals": ListPage(PAGING, role=CLIENT),
    "portal.placements": ListPage(PAGING, role=CLIENT),
    "me.index": ListPage(PAGING, role=ENGINEER),
    "me.timesheets": ListPage(fields_of(MeTimesheetFilterForm) + PAGING, role=ENGINEER),
    "me.pay_statements": ListPage(PAGING, role=ENGINEER),
    "pay_statements.index": ListPage(fields_of(PayFilterForm) + PAGING),
    "pay_statements.export": ListPage(fields_of(PayFilterForm) + PAGING),
}


def populate(w: World) -> tuple[dict, dict]:
    """Rows whose every text is a payload, for the lists to show; the choices they offer."""
    payload = '<script>alert(1)</script> "><img src=x onerror=alert(1)>'
    engineer = w.make.engineer(full_name=f"Ana {payload}", city=payload, skills={"Python": 4})
    req = company_request(w, title=payload, description=payload, skills={"Python": (3, True)})
    w.make.proposal(request=req, engineer=engineer, status="proposed", proposed_at=utcnow())
    placement = live_placement(w)
    w.make.review(placement, comments=payload, action_items=payload)
    notify([w.user], kind="review_due", title=payload, body=payload, link="/notifications/")
    db.session.commit()
    ids_ = ["", str(w.company.id), str(placement.id), str(engineer.id), str(w.skills[0].id)]
    names = ("account_manager_id", "client_id", "client", "skill_id", "placement", "edit")
    choices = dict.fromkeys(names, ids_) | {"timezone": ["America/Sao_Paulo", "Europe/Berlin"]}
    return choices, {"request_id": req.id}


@pytest.mark.parametrize("endpoint", sorted(LIST_PAGES))
def test_list_page_survives_hostile_query(endpoint, app, client, auth, make, server_errors):
    page = LIST_PAGES[endpoint]
    world = build_world(make, auth, page.role)
    choices, rows = populate(world)
    with app.test_request_context():
        url = url_for(endpoint, **{k: rows[k] for k in page.url})
    checked = probe(client, server_errors, endpoint)

    @FUZZ_SETTINGS
    @given(data=st.data())
    def fuzz(data):
        query = data.draw(form_data(page.fields, choices), label="query")
        checked.follow(checked.send("GET", url, query, query_string=query), query)

    fuzz._hypothesis_internal_add_digest = endpoint.encode()
    fuzz()


# --- ids in URLs ----------------------------------------------------------------------------


def id_rules(app):
    """(endpoint, method, rule) for every rule with an <int:…> part, and its methods."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            continue  # tokens, not sessions: the API's own walks (tests/api/) try its ids
        if any(type(c).__name__ == "IntegerConverter" for c in rule._converters.values()):
            found.extend(
                (rule.endpoint, m, rule) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})
            )
    return found


@pytest.mark.parametrize("value", [0, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30])
def test_ids_out_of_range_in_urls_answer_404(value, app, client, auth, make, server_errors):
    """/clients/0, /clients/2**63, …: nothing there, so 404 (never a 500), for every role."""
    failures, rules = [], id_rules(app)
    assert len(rules) > 30, "no rule with an <int:…> id found: is the converter still found?"
    for role in (ADMIN, CLIENT, ENGINEER):
        auth.logout()
        auth.login_as(role)
        for _endpoint, method, rule in rules:
            url = rule.build(dict.fromkeys(rule.arguments, value), append_unknown=False)[1]
            response = client.open(url, method=method)
            if response.status_code >= 500:
                failures.append(f"{role} {method} {url}: {server_errors.last().splitlines()[-1]}")
            elif response.status_code not in (403, 404):
                failures.append(f"{role} {method} {url}: {response.status_code}")
    assert not failures, "\n".join(failures)


# --- regressions: each bug the fuzz found, as its exact input --------------------------------
# Each of these was a 500. Now bad input gets a clear message and changes nothing: the form
# again with its error (400), a 400 page saying what is wrong, or a 404 for an id no row has.


@dataclass(frozen=True)
class Regression:
    endpoint: str
    data: dict  # the exact input (the form, or the query string of a GET)
    status: int  # the answer (after following a redirect)
    message: str | None = None  # what the page says (None: a CSV, or nothing to say)
    method: str = "POST"
    url: dict = field(default_factory=dict)  # URL values beyond the scenario's


def regression(endpoint, data, status, message=None, *, name, method="POST", url=None):
    case = Regression(endpoint, data, status, message, method, url or {})
    return pytest.param(case, id=f"{endpoint}-{name}")


TODAY = date.today().isoformat()
VALID_FORMS = {
    "clients.edit": {
        "name": "Acme",
        "country": "US",
        "timezone": "America/New_York",
        "workday_start": "09:00",
        "workday_end": "17:00",
        "account_manager_id": "",
    },
    "engineers.edit": {
        "full_name": "Ana Souza",
        "email": "ana.souza@example.com",
        "country": "BR",
        "timezone": "America/Sao_Paulo",
        "workday_start": "09:00",
        "workday_end": "18:00",
        "seniority": "mid",
        "years_experience": "5",
        "english_level": "B2",
        "hourly_rate": "40",
    },
    "engineers.vetting": {"status": "technical_interview"},
    "requests.move": {"status": "on_hold"},
    "matching.move": {"status": "interviewing"},
    "placements.end": {"end-reason": "completed", "end-last_day": TODAY},
    "placements.end_date": {"dates-end_date": ""},
    "placements.replace": {"replace-last_day": TODAY},
}
PREFIXES = {
    "placements.end": "end-",
    "placements.end_date": "dates-",
    "placements.replace": "replace-",
}
# A stale version gets the form again with the message (409); the small status forms
# redirect back to where the message shows.
STALE_STATUS = {"requests.move": 200, "matching.move": 200}
STALE = "was changed by someone else"
NOT_A_NUMBER = "Enter a number."
TOO_BIG = "Enter a smaller number."
DATE_RANGE = "Enter a date between 2000 and 2100."
NUL = "NUL character"
LISTS = (
    "clients.index",
    "engineers.index",
    "requests.index",
    "placements.index",
    "reviews.index",
    "notifications.index",
    "admin.users_index",
)

REGRESSIONS: list = [
    # services.ensure_version called int() on the posted version_id.
    *(
        regression(
            ep,
            form | {PREFIXES.get(ep, "") + "version_id": "abc"},
            STALE_STATUS.get(ep, 409),
            STALE,
            name="version_id-abc",
        )
        for ep, form in VALID_FORMS.items()
    ),
    # WTForms' FieldList took '²' for a row number (str.isdigit), then int() failed.
    *(
        regression(ep, {"skill_rows-²-skill_id": "1"}, 400, name="skill-row-index")
        for ep in ("requests.create", "requests.edit", "portal.request_new")
    ),
    # NumberRange called math.isnan() on a signaling NaN (ValueError) or on an int too large
    # for a float (OverflowError).
    *(
        regression(ep, {name: value}, 400, message, name=f"{name}-{value[:5]}")
        for ep, name, value, message in (
            ("engineers.create", "hourly_rate", "sNaN", NOT_A_NUMBER),
            ("engineers.edit", "hourly_rate", "sNaN", NOT_A_NUMBER),
            ("requests.create", "min_overlap_hours", "sNaN", NOT_A_NUMBER),
            ("requests.create", "max_bill_rate", "sNaN", NOT_A_NUMBER),
            ("requests.edit", "max_bill_rate", "sNaN", NOT_A_NUMBER),
            ("portal.request_new", "max_bill_rate", "sNaN", NOT_A_NUMBER),
            ("placements.create", "pay_rate", "sNaN", NOT_A_NUMBER),
            ("engineers.create", "hourly_rate", "100000000", "Enter an amount up to"),
            ("engineers.create", "years_experience", "9" * 400, TOO_BIG),
            ("engineers.edit", "years_experience", "9" * 400, TOO_BIG),
            ("engineers.skill_set", "level", "9" * 400, TOO_BIG),
            ("requests.create", "duration_weeks", "9" * 400, TOO_BIG),
            ("requests.edit", "headcount", "9" * 400, TOO_BIG),
            ("portal.request_new", "duration_weeks", "9" * 400, TOO_BIG),
        )
    ),
    *(
        regression(
            ep,
            {name: value},
            200,
            message if ep == "reviews.index" else None,  # the export is a CSV
            name=f"{name}-{value[:5]}",
            method="GET",
        )
        for ep in ("reviews.index", "reviews.export")
        for name, value, message in (
            ("below", "sNaN", NOT_A_NUMBER),
            ("placement", "9" * 400, TOO_BIG),
            ("to", "9999-12-31", DATE_RANGE),  # the filter added a day past date.max
        )
    ),
    # RequestForm.validate_min_overlap_hours: (data * 2) % 1 raised on a huge or infinite value.
    *(
        regression(ep, {"min_overlap_hours": value}, 400, message, name=f"overlap-{value}")
        for ep in ("requests.create", "requests.edit", "portal.request_new")
        for value, message in (("1e309", TOO_BIG), ("Infinity", NOT_A_NUMBER))
    ),
    # The first iteration of a placement starting 9999-12-31 ended past date.max.
    regression(
        "placements.create",
        {"start_date": "9999-12-31", "pay_rate": "40", "bill_rate": "60"},
        400,
        DATE_RANGE,
        name="start-9999-12-31",
    ),
    # An iteration number no placement reaches: timedelta overflowed.
    regression(
        "placements.review",
        {},
        404,
        name="iteration-2**31-1",
        method="GET",
        url={"number": 2**31 - 1},
    ),
    # Ids no row can have reached the database (PostgreSQL: past 2**31-1, SQLite: past 2**63-1).
    regression("matching.shortlist", {"engineer_id": str(2**63)}, 400, name="engineer_id-2**63"),
    regression(
        "notifications.read", {"id": "²"}, 400, "The id must be a number.", name="id-superscript"
    ),
    regression("notifications.read", {"id": str(2**63)}, 404, name="id-2**63"),
    regression("engineers.skills", {"edit": str(2**63)}, 200, name="edit-2**63", method="GET"),
    regression("requests.index", {"client_id": str(2**31)}, 200, name="client-2**31", method="GET"),
    regression("reviews.index", {"client": str(2**31)}, 200, name="client-2**31", method="GET"),
    # ?page had no upper bound: past 2**63 the OFFSET overflowed. Now an empty page.
    *(regression(ep, {"page": str(2**63)}, 200, name="page-2**63", method="GET") for ep in LISTS),
    # A NUL byte reached PostgreSQL, which refuses it: 500 on every form and search box.
    regression(
        "clients.create", VALID_FORMS["clients.edit"] | {"name": "Acme\x00"}, 400, NUL, name="nul"
    ),
    regression("requests.index", {"q": "\x00"}, 400, NUL, name="nul", method="GET"),
]


def table_rows() -> dict[str, list[str]]:
    """Every row of every table: what refused input must leave as it was."""
    db.session.expire_all()
    return {
        t.name: sorted(repr(tuple(row)) for row in db.session.execute(sa.select(t)))
        for t in db.metadata.sorted_tables
    }


@pytest.mark.parametrize("case", REGRESSIONS)
def test_regression(case, app, client, auth, make, server_errors):
    """The exact input: never a 500, the answer and message expected, the database untouched."""
    route = ROUTE_FORMS.get(case.endpoint) or LIST_PAGES[case.endpoint]
    world = build_world(make, auth, route.role)
    if isinstance(route, Route):
        scenario = route.setup(world)
        values = {k: v[0] if isinstance(v, list) else v for k, v in scenario.url.items()}
    else:
        scenario, (_choices, rows) = Scenario(), populate(world)
        values = {k: rows[k] for k in route.url}
    (arguments,) = {tuple(r.arguments) for r in app.url_map.iter_rules(case.endpoint)}
    with app.test_request_context():
        url = url_for(
            case.endpoint, **{k: v for k, v in (values | case.url).items() if k in arguments}
        )
    data = {k: as_posted(v, scenario) for k, v in case.data.items()}
    before = table_rows()
    if case.method == "GET":
        response = client.get(url, query_string=data, follow_redirects=True)
    else:
        response = client.post(url, data=data, follow_redirects=True)
    assert response.status_code < 500, server_errors.last()
    assert response.status_code == case.status
    if case.message:
        assert case.message in response.text
    assert table_rows() == before, "refused input changed the database"
