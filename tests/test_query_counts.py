"""Every main page sends as many SQL statements with ten times the rows, and at most twelve.

The same agency is built twice as large (SMALL, then LARGE units of it, with the factories):
more clients, engineers with the filtered skill, requests, proposals, placements (some at
risk, some ending soon), reviews and their history, approved hours of past months, and the
invoices, credit notes and pay statements drafted and issued from them. Each page is requested once to warm up,
then counted at both sizes as the first view after a write (nothing served from tracker.infra.cache). benchmarks/bench_pages.py measures the same pages at agency scale.
"""

import contextlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tracker.extensions import db
from tracker.infra import cache
from tracker.infra.audit import record_event
from tracker.models import (
    Interview,
    Invoice,
    PayStatement,
    Placement,
    StaffingRequest,
    Timesheet,
    User,
    utcnow,
)
from tracker.services import invoices, pay_statements, rates, timesheets, transaction
from tracker.services.billing import month_end, month_start, previous_month
from tracker.services.interviews import offered_slots
from tracker.services.invoices import CreditRequest
from tracker.services.timesheets import EntryInput, week_of

SMALL, LARGE = 2, 20
MAX_QUERIES = 12
PAGE_MAX_QUERIES: dict[str, int] = {}  # a page allowed more than MAX_QUERIES, and why
TODAY = date.today()
LAST_WEEK = week_of(TODAY) - timedelta(days=7)


def months_ago(n: int) -> date:
    """The first day of the month n months before this one."""
    month = month_start(TODAY)
    for _ in range(n):
        month = previous_month(month)
    return month


@contextlib.contextmanager
def one_transaction():
    """The factories commit every row (an fsync each on SQLite); here they flush instead and
    the rows are committed together, which keeps the data the same and the test fast."""
    session = db.session()
    commit = session.commit
    session.commit = session.flush
    try:
        yield
    finally:
        session.commit = commit
    session.commit()


class Agency:
    """The rows the pages show, grown a unit at a time; one client (Acme) signs in."""

    def __init__(self, make, billing: bool = True):
        self.make = make
        self.billing = billing  # the rest of the pages show none of it: their tests skip it
        self.acme = make.client(name="Acme Analytics")
        self.manager = make.user("account_manager", email="manager@agency.example")
        self.contact = make.user("client", client=self.acme, email="cto@acme.example")
        self.python = make.skill("Python")
        # The pages about one row: a request to match and a long-running placement.
        self.request = make.request(
            client=self.acme, title="Matched request", skills={"Python": (3, True)}
        )
        self.placement = make.placement(
            request=make.request(client=self.acme, title="Long engagement"),
            start=TODAY - timedelta(days=7 * 60),
            review_cadence_days=7,
        )
        self.proposal = make.proposal(
            request=self.request, engineer=self._engineer(), proposed_at=utcnow()
        )
        self.timesheet = self._hours(self.placement, LAST_WEEK - timedelta(days=7))
        self.units = 0
        # Billing: an engineer with an account works on an Acme placement per unit; each unit
        # bills and pays a month of its own, and every grow issues a month of all of them.
        self.worker = self._engineer()
        self.worker_user = make.user(role="engineer", engineer=self.worker)
        # Interviews: the worker asked to meet about the matched request (waiting for the
        # agency), and a held and a coming one per unit.
        meeting = make.proposal(request=self.request, engineer=self.worker, proposed_at=utcnow())
        choices = offered_slots(meeting)[:3]
        self.interview = self._interview(meeting, "requested", choices=choices)
        self.billed: list[Placement] = []
        self.grows = 0
        self.draft_invoice: Invoice | None = None
        self.draft_statement: PayStatement | None = None
        self.invoice: Invoice | None = None  # the latest issued, with a line per unit
        self.credit_note: Invoice | None = None  # of all its lines
        self.statement: PayStatement | None = None

    def _engineer(self):
        n = self.make._next()
        return self.make.engineer(
            skills={"Python": 3 + n % 3, "PyTorch": 2 + n % 4, "SQL": 3},
            full_name=f"Engineer{n} Lastname{n}",
            available_from=TODAY - timedelta(days=n % 20),
        )

    def grow(self, units: int) -> None:
        """Add units: each a client, engineers, requests, proposals, placements and reviews."""
        with one_transaction():
            for _ in range(units):
                self._unit()
            if self.billing:
                self._bill_all()

    def _unit(self) -> None:
        make = self.make
        self.units += 1
        k = self.units
        other = make.client(name=f"Other Client {k}")
        mine = make.request(
            client=self.acme,
            title=f"Acme request {k}",
            priority="urgent" if k % 2 else "normal",
            skills={"Python": (3, True), "SQL": (2, False)},
        )
        theirs = make.request(client=other, title=f"Other request {k}")
        engineer = self._engineer()
        make.proposal(request=mine, engineer=engineer, proposed_at=utcnow())
        make.proposal(request=self.request, engineer=engineer, status="shortlisted")
        met = make.proposal(request=mine, engineer=self.worker, proposed_at=utcnow())
        held = datetime(2024, 1, 1, 14, tzinfo=UTC) + timedelta(days=k)
        self._interview(met, "completed", at=held)
        self._interview(met, "scheduled", at=held.replace(year=2031))
        # Live placements: at risk (no review yet, overdue) or healthy, some ending soon.
        for request in (mine, theirs):
            placement = make.placement(
                request=request,
                engineer=self._engineer(),
                end=TODAY + timedelta(days=10) if k % 3 == 0 else None,
            )
            if k % 2 == 0:
                self._review(placement, 1, self.contact if request is mine else self.manager)
            # Hours: last week's waiting for the client, the week before answered.
            self._hours(placement, LAST_WEEK)
            earlier = self._hours(placement, LAST_WEEK - timedelta(days=7))
            with transaction():
                timesheets.approve(earlier, self.contact if request is mine else None, today=TODAY)
        self._review(self.placement, k, self.contact)
        self._rate_change(k)
        if self.billing:
            self._bill_unit(k)

    def _bill_unit(self, k: int) -> None:
        """An Acme placement of the worker with a week approved in a month of the unit's own,
        billed and paid: issued (some left as drafts), some credited."""
        placement = self.make.placement(
            request=self.make.request(client=self.acme, title=f"Billed request {k}"),
            engineer=self.worker,
            start=months_ago(LARGE + 6),
            end=month_end(months_ago(2)),
            status="ended",  # the engineer's placements overlap: only live ones may not
            end_reason="completed",
        )
        self.billed.append(placement)
        month = months_ago(5 + k)
        self._approved(placement, month)
        with transaction():
            invoice, _ = invoices.draft(self.acme, month, self.manager)
            statement, _ = pay_statements.draft(self.worker, month, self.manager)
        if k % 3 == 1:
            self.draft_statement = statement  # drafts: staff see them, the client and engineer not
            return
        with transaction():
            invoices.issue(invoice, self.manager, today=TODAY)
            pay_statements.issue(statement, self.manager, today=TODAY)
        if k % 4 == 0:
            with transaction():
                request = CreditRequest(reason=f"Discount {k}", amount=Decimal("10.00"))
                invoices.credit(invoice, request, self.manager, today=TODAY)

    def _bill_all(self) -> None:
        """A new month of every billed placement: its invoice and pay statement issued, a credit
        note of all the invoice's lines, and the draft that bills their hours again."""
        self.grows += 1
        month = months_ago(1 + self.grows)
        for placement in self.billed:
            self._approved(placement, month)
        with transaction():
            invoice, _ = invoices.draft(self.acme, month, self.manager)
            statement, _ = pay_statements.draft(self.worker, month, self.manager)
        with transaction():
            invoices.issue(invoice, self.manager, today=TODAY)
            pay_statements.issue(statement, self.manager, today=TODAY)
        with transaction():
            lines = [line.id for line in invoice.lines]
            request = CreditRequest(reason="Wrong rate", line_ids=lines)
            self.credit_note = invoices.credit(invoice, request, self.manager, today=TODAY)
        with transaction():
            self.draft_invoice, _ = invoices.draft(self.acme, month, self.manager)
        self.invoice, self.statement = invoice, statement

    def _approved(self, placement: Placement, month: date) -> None:
        """A week of the month's hours, approved by Acme."""
        sheet = self._hours(placement, week_of(month + timedelta(days=7)))
        with transaction():
            timesheets.approve(sheet, self.contact, today=TODAY)

    def _interview(self, proposal, status: str, *, at=None, choices=()) -> Interview:
        """An interview row as the service leaves it in that status."""
        row = Interview(
            proposal=proposal,
            engineer_id=proposal.engineer_id,
            status=status,
            choices=[[a.isoformat(), b.isoformat()] for a, b in choices],
            requested_by=self.contact,
        )
        if at is not None:
            row.starts_at, row.ends_at = at, at + timedelta(minutes=45)
            row.confirmed_by = self.manager
            row.confirmed_at = at - timedelta(days=2)
        if status == "completed":
            row.skill_ratings, row.overall_rating, row.would_continue = {"Python": 4}, 4, True
            row.outcome_by, row.outcome_at = self.contact, row.ends_at
        db.session.add(row)
        db.session.commit()
        return row

    def _rate_change(self, k: int) -> None:
        """The long placement's rates change once a unit, each time by someone else."""
        with transaction():
            rates.change_rate(
                self.placement,
                effective_from=self.placement.start_date + timedelta(days=7 * k),
                bill_rate=Decimal(90 + k),
                pay_rate=Decimal(55),
                note=f"Change {k}",
                actor=self.make.user("account_manager"),
                today=TODAY,
            )

    def _hours(self, placement: Placement, week: date) -> Timesheet:
        """A week of eight-hour days, entered and submitted by the account manager."""
        entries = [EntryInput(week + timedelta(days=d), Decimal(8)) for d in range(5)]
        with transaction():
            sheet = timesheets.save_week(placement, week, entries, self.manager, today=TODAY)
            timesheets.submit(sheet, self.manager, today=TODAY)
        return sheet

    def _review(self, placement: Placement, iteration: int, author: User) -> None:
        review = self.make.review(placement, iteration, submitted_by=author)
        record_event(author, "review.submitted", review, {"iteration": [None, iteration]})


def _pages(agency: Agency) -> dict[str, tuple[str, str]]:
    """page -> (who signs in, path). A page of the latest issued document is of another one, with
    more lines, once the agency has grown."""
    a = agency
    pages = {
        "dashboard": ("account_manager", "/dashboard/"),
        "engineers (skill filter)": (
            "account_manager",
            f"/engineers/?skill_id={a.python.id}&min_level=3",
        ),
        "requests": ("account_manager", "/requests/"),
        "matches": ("account_manager", f"/requests/{a.request.id}/matches"),
        "placement": ("account_manager", f"/placements/{a.placement.id}"),
        "clients": ("account_manager", "/clients/"),
        "placements": ("account_manager", "/placements/"),
        "reviews": ("account_manager", "/reviews/"),
        "portal overview": ("client", "/portal/"),
        "portal requests": ("client", "/portal/requests/"),
        "portal request": ("client", f"/portal/requests/{a.request.id}"),
        "portal proposals": ("client", "/portal/proposals/"),
        "portal proposal": ("client", f"/portal/proposals/{a.proposal.id}"),
        "portal placements": ("client", "/portal/placements/"),
        "portal placement": ("client", f"/portal/placements/{a.placement.id}"),
        "timesheets": ("account_manager", "/timesheets/"),
        "timesheet": ("account_manager", f"/timesheets/{a.timesheet.id}"),
        "portal timesheets": ("client", "/portal/timesheets/"),
        "portal timesheet": ("client", f"/portal/timesheets/{a.timesheet.id}"),
        "interviews": ("account_manager", "/interviews/"),
        "interview": ("account_manager", f"/interviews/{a.interview.id}"),
        "ask for an interview": ("account_manager", f"/interviews/new/{a.proposal.id}"),
        "portal interviews": ("client", "/portal/interviews/"),
        "portal interview": ("client", f"/portal/interviews/{a.interview.id}"),
        "my interviews": ("engineer", "/me/interviews/"),
        "my interview": ("engineer", f"/me/interviews/{a.interview.id}"),
    }
    if not a.billing:
        return pages
    invoice, credit_note, draft_invoice = a.invoice, a.credit_note, a.draft_invoice
    statement, draft_statement = a.statement, a.draft_statement
    assert invoice is not None
    assert credit_note is not None
    assert draft_invoice is not None
    assert statement is not None
    assert draft_statement is not None
    return pages | {
        "invoices": ("account_manager", "/invoices/"),
        "invoice": ("account_manager", f"/invoices/{invoice.id}"),
        "invoice (draft)": ("account_manager", f"/invoices/{draft_invoice.id}"),
        "credit note": ("account_manager", f"/invoices/{credit_note.id}"),
        "pay statements": ("account_manager", "/pay-statements/"),
        "pay statement": ("account_manager", f"/pay-statements/{statement.id}"),
        "pay statement (draft)": ("account_manager", f"/pay-statements/{draft_statement.id}"),
        "portal invoices": ("client", "/portal/invoices/"),
        "portal invoice": ("client", f"/portal/invoices/{invoice.id}"),
        "portal credit note": ("client", f"/portal/invoices/{credit_note.id}"),
        "my pay statements": ("engineer", "/me/pay/"),
        "my pay statement": ("engineer", f"/me/pay/{statement.id}"),
    }


BILLING_PAGES = [
    "invoices",
    "invoice",
    "invoice (draft)",
    "credit note",
    "pay statements",
    "pay statement",
    "pay statement (draft)",
    "portal invoices",
    "portal invoice",
    "portal credit note",
    "my pay statements",
    "my pay statement",
]
PAGES = [
    "dashboard",
    "engineers (skill filter)",
    "requests",
    "matches",
    "placement",
    "clients",
    "placements",
    "reviews",
    "portal overview",
    "portal requests",
    "portal request",
    "portal proposals",
    "portal proposal",
    "portal placements",
    "portal placement",
    "timesheets",
    "timesheet",
    "portal timesheets",
    "portal timesheet",
    "interviews",
    "interview",
    "ask for an interview",
    "portal interviews",
    "portal interview",
    "my interviews",
    "my interview",
    *BILLING_PAGES,
]


@pytest.mark.parametrize("page", PAGES)
def test_page_queries_do_not_grow_with_data(page, client, auth, make, count_queries):
    agency = Agency(make, billing=page in BILLING_PAGES)
    agency.grow(SMALL)
    who, path = _pages(agency)[page]
    user = {"client": agency.contact, "engineer": agency.worker_user}.get(who, agency.manager)
    assert auth.login(user.email).status_code == 302
    assert client.get(path).status_code == 200  # warm-up: nothing per-process is counted

    cache.bump()  # counted as the first view after a write: no cached figures (tracker.infra.cache)
    with count_queries() as small:
        assert client.get(path).status_code == 200
    agency.grow(LARGE - SMALL)
    path = _pages(agency)[page][1]
    cache.bump()
    with count_queries() as large:
        response = client.get(path)

    assert response.status_code == 200
    assert large.count == small.count, (
        f"{page}: {small.count} queries with {SMALL} units, {large.count} with {LARGE}",
        large.statements,
    )
    limit = PAGE_MAX_QUERIES.get(page, MAX_QUERIES)
    assert large.count <= limit, (f"{page}: {large.count} queries", large.statements)


def test_the_agency_grows_ten_times(make):
    agency = Agency(make)
    agency.grow(SMALL)
    small = db.session.query(Placement).count(), db.session.query(StaffingRequest).count()
    agency.grow(LARGE - SMALL)
    large = db.session.query(Placement).count(), db.session.query(StaffingRequest).count()
    assert large[0] - 1 == 10 * (small[0] - 1)  # besides the one long placement
    assert agency.placement.reviews_count == LARGE
    assert agency.invoice is not None
    assert len(agency.invoice.lines) == LARGE
    assert agency.statement is not None
    assert len(agency.statement.lines) == LARGE
    assert agency.draft_invoice is not None
    assert len(agency.draft_invoice.lines) == LARGE
