"""Invoices, credit notes and pay statements of the large agency (tracker/demo/large.py).

Each month's approved hours (large_hours), a line per placement and rate period built by
billing.build_lines (the services' rule), issued once the month's weeks are answered
(CLOSING_DAY): invoices by the client's account manager, paid within the client's terms (a few
of the last ones overdue), pay statements by the admin, paid days later; a month not closed
yet has drafts built last night; a few goodwill credit notes; numbers gapless per series and
year in issue order, as billing.next_number gives them.

Issued documents take no line (the database refuses it): they are written as drafts with their
lines, then issued (final_rows), the one change the database allows.
"""

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, cast

from tracker.demo.data import GOODWILL, _business_days_after
from tracker.demo.large_hours import CENT, DAY, Entry, Hours, _at
from tracker.models import Placement, PlacementRate, TimesheetEntry
from tracker.models.enums import InvoiceKind, InvoiceStatus, TimesheetStatus
from tracker.services import invoices, pay_statements, timesheets
from tracker.services.billing import (
    INVOICE_SERIES,
    PAY_SERIES,
    LineDraft,
    build_lines,
    month_end,
    month_start,
    previous_month,
)

if TYPE_CHECKING:
    from tracker.demo.large import Generator

T, S = TimesheetStatus, InvoiceStatus
# A month is billed and paid once its last week is answered: on the first working day from the
# 15th of the next month (weeks are answered within three working days of their Monday
# submission, or automatically after five). Until then, its drafts are rebuilt every night.
CLOSING_DAY = 15
OVERDUE_SHARE = 0.04  # the last issued month's invoices a client has not paid past due
CREDITED_SHARE = 1 / 400  # issued invoices with a goodwill credit note


@dataclass(slots=True, eq=False)
class Document:
    """A planned invoice, credit note or pay statement, and its lines."""

    id: int
    party_id: int  # the client, or the engineer
    first_day: date
    created: datetime  # drafted
    lines: list[dict]
    total: Decimal
    issued: datetime | None = None
    due_on: date | None = None
    paid_on: date | None = None
    paid: datetime | None = None
    number: str | None = None
    issued_by_id: int | None = None
    kind: str = InvoiceKind.INVOICE.value
    credits: "Document | None" = None
    note: str | None = None
    series: str = INVOICE_SERIES


@dataclass(frozen=True, slots=True)
class DocumentKind:
    """What sets a month's invoices apart from its pay statements: the rate a line charges,
    the order and wording of its lines, the entries' column naming it, the number series."""

    rate_of: Callable[[PlacementRate], Decimal]
    line_order: Callable[[Placement], tuple]
    describe: Callable[[Placement], str]
    entry_field: str
    series: str


INVOICES = DocumentKind(
    lambda rate: rate.bill_rate,
    invoices.line_order,
    invoices.line_description,
    "invoice_line_id",
    INVOICE_SERIES,
)
PAY_STATEMENTS = DocumentKind(
    lambda rate: rate.pay_rate,
    pay_statements.line_order,
    pay_statements.line_description,
    "pay_line_id",
    PAY_SERIES,
)


@dataclass
class Billing:
    """The invoices and pay statements of the agency's approved hours."""

    hours: Hours
    rng: random.Random
    invoices: list[Document] = field(default_factory=list)
    statements: list[Document] = field(default_factory=list)
    numbers: dict[tuple[str, int], int] = field(default_factory=dict)  # (series, year) -> last
    line_ids: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # last, by kind

    @property
    def g(self) -> "Generator":
        return self.hours.g

    # --- invoices and pay statements -----------------------------------------------------------

    def plan(self) -> None:
        """Every month's approved hours invoiced and paid, up to last month's drafts."""
        g, today = self.g, self.g.today
        since = timesheets.week_of(today) - timedelta(weeks=g.scale.tracked_weeks)
        months, month = [], month_start(since)
        while month <= previous_month(today):
            months.append(month)
            month = month_end(month) + DAY
        by_client: dict[tuple[date, int], list[Entry]] = defaultdict(list)
        by_engineer: dict[tuple[date, int], list[Entry]] = defaultdict(list)
        for entry in self.hours.entries:
            sheet = entry.timesheet
            if sheet.state == T.APPROVED:
                month = month_start(entry.work_date)
                by_client[month, sheet.placement.client_id].append(entry)
                by_engineer[month, sheet.placement.engineer_id].append(entry)
        built = _at(today - DAY, 21, self.rng)  # last night's drafts of last month
        issued: list[Document] = []
        documents: list[tuple[datetime, int, Document]] = []  # issued ones, in order
        for month in months:
            on = _business_days_after(month_end(month) + timedelta(days=CLOSING_DAY - 1), 1)
            closed = on < today
            at = _at(on, 13, self.rng) if closed else built
            made = self._month_documents(
                month, by_client, at, INVOICES, self.invoices, self._client_order
            )
            if closed:
                issued += self._issue_invoices(made, on, documents)
            made = self._month_documents(
                month, by_engineer, at, PAY_STATEMENTS, self.statements, self._engineer_order
            )
            if closed:
                self._issue_statements(made, on, documents)
        self._settle(issued, documents)
        documents.sort(key=lambda d: (d[0], d[1]))
        for at, _order, doc in documents:  # as billing.next_number gives them
            key = (doc.series, at.year)
            self.numbers[key] = self.numbers.get(key, 0) + 1
            doc.number = f"{doc.series}-{at.year}-{self.numbers[key]:04d}"

    def _client_order(self, client: int) -> tuple:
        """Invoices are drafted in the order of their clients' names."""
        return (self.g.clients[client - 1]["name"],)

    def _engineer_order(self, engineer: int) -> tuple:
        """Pay statements are drafted in the order of their engineers' names."""
        return (self.g.engineers[engineer - 1]["full_name"], engineer)

    @staticmethod
    def _approved_by(entries: list[Entry], at: datetime) -> list[Entry]:
        """The entries of weeks approved before `at`: what a draft built then bills."""
        return [e for e in entries if (d := e.timesheet.decided_at) is not None and d < at]

    def _month_documents(
        self,
        month: date,
        by_party: dict[tuple[date, int], list[Entry]],
        at: datetime,
        kind: DocumentKind,
        kept: list[Document],
        party_order: Callable[[int], tuple],
    ) -> list[Document]:
        """The month's drafts of one kind, as its service's draft_month makes them at `at`:
        one per party (client or engineer, in `party_order`) with hours approved by then,
        added to `kept` (numbered on from it)."""
        first, last = month_start(month), month_end(month)
        made = []
        for party in sorted((p for m, p in by_party if m == month), key=party_order):
            entries = self._approved_by(by_party[month, party], at)
            lines = build_lines(
                cast(list[TimesheetEntry], entries), first, last, kind.rate_of, kind.line_order
            )
            if not lines:
                continue
            doc = Document(len(kept) + 1, party, first, at, [], Decimal("0.00"), series=kind.series)
            doc.lines = self._lines(lines, kind.describe, kind.entry_field)
            doc.total = sum((line.amount for line in lines), Decimal("0.00"))
            kept.append(doc)
            made.append(doc)
        return made

    def _lines(self, lines: list[LineDraft], describe, entry_field: str) -> list[dict]:
        rows = []
        for position, line in enumerate(lines, start=1):
            self.line_ids[entry_field] += 1
            line_id = self.line_ids[entry_field]
            rows.append(
                {
                    "id": line_id,
                    "position": position,
                    "placement_id": line.placement.id,
                    "description": describe(line.placement),
                    "first_day": line.first_day,
                    "last_day": line.last_day,
                    "hours": line.hours,
                    "rate": line.rate,
                    "amount": line.amount,
                }
            )
            for entry in cast(list[Entry], line.entries):
                setattr(entry, entry_field, line_id)
        return rows

    def _issue_invoices(self, made: list[Document], on: date, documents) -> list[Document]:
        """Issued by each client's account manager two hours after drafting, in name order."""
        for doc in made:
            client = self.g.clients[doc.party_id - 1]
            doc.issued = doc.created + timedelta(hours=2)
            doc.due_on = on + timedelta(days=client["payment_terms_days"])
            doc.issued_by_id = client["account_manager_id"]
            documents.append((doc.issued, len(documents), doc))
        return made

    def _issue_statements(self, made: list[Document], on: date, documents) -> None:
        """Issued by the admin two hours after drafting, paid two to five days later."""
        rng, today = self.rng, self.g.today
        paid_on = on + timedelta(days=rng.randint(2, 5))
        for doc in made:
            doc.issued, doc.issued_by_id = doc.created + timedelta(hours=2), self.g.users[0]["id"]
            documents.append((doc.issued, len(documents), doc))
            if paid_on < today:
                doc.paid_on, doc.paid = paid_on, _at(paid_on, 16, rng)

    def _settle(self, issued: list[Document], documents) -> None:
        """Payments within each client's terms unless not come yet; some of the last month
        issued overdue and unpaid; a goodwill credit note on a few, days after issue."""
        if not issued:
            return
        rng, today = self.rng, self.g.today
        latest = max(d.first_day for d in issued)
        for doc in issued:
            assert doc.issued is not None
            assert doc.due_on is not None
            if doc.first_day == latest and doc.due_on < today and rng.random() < OVERDUE_SHARE:
                continue  # overdue
            terms = self.g.clients[doc.party_id - 1]["payment_terms_days"]
            paid_on = doc.issued.date() + timedelta(days=rng.randint(7, max(8, terms - 2)))
            if paid_on < today:
                doc.paid_on, doc.paid = paid_on, _at(paid_on, 17, rng)
        credited = rng.sample(issued, max(1, round(len(issued) * CREDITED_SHARE)))
        for invoice in sorted(credited, key=lambda d: d.id):
            self._goodwill(invoice, documents)

    def _goodwill(self, invoice: Document, documents) -> None:
        """A credit note of a share of the newest placement's line, as data._settle_invoices
        writes one through invoices.credit."""
        rng, today = self.rng, self.g.today
        assert invoice.issued is not None
        line = max(
            invoice.lines,
            key=lambda r: (self.hours.placements[r["placement_id"]].start_date, r["position"]),
        )
        share = (line["amount"] * GOODWILL).quantize(CENT, rounding=ROUND_HALF_UP)
        if share <= 0:
            return
        on = min(invoice.issued.date() + timedelta(days=rng.randint(3, 6)), today - DAY)
        engineer = self.hours.placements[line["placement_id"]].engineer.full_name
        reason = (
            f"Goodwill: onboarding week — {GOODWILL:.0%} of line {line['position']} "
            f"({engineer}), as agreed with the client."
        )
        at = _at(on, 16, rng)
        note = Document(
            len(self.invoices) + 1,
            invoice.party_id,
            invoice.first_day,
            at,
            [],
            -share,
            issued=at,
            issued_by_id=invoice.issued_by_id,
            kind=InvoiceKind.CREDIT_NOTE.value,
            credits=invoice,
            note=reason,
        )
        self.line_ids["invoice_line_id"] += 1
        note.lines = [
            {
                "id": self.line_ids["invoice_line_id"],
                "position": 1,
                "placement_id": invoice.lines[0]["placement_id"],
                "description": "",  # set once the invoice's number is known
                "first_day": invoice.first_day,
                "last_day": month_end(invoice.first_day),
                "hours": Decimal("0.00"),
                "rate": Decimal("0.00"),
                "amount": -share,
            }
        ]
        self.invoices.append(note)
        documents.append((at, len(documents), note))

    # --- rows ----------------------------------------------------------------------------------

    def invoice_rows(self) -> Iterator[dict]:
        """Every invoice and credit note as a draft: their lines go in next, and an issued
        document takes no line (the database refuses it); final_invoice_rows issue them."""
        admin = self.g.users[0]["id"]
        for d in self.invoices:
            yield {
                "id": d.id,
                "client_id": d.party_id,
                "kind": d.kind,
                "credits_invoice_id": d.credits.id if d.credits else None,
                "number": None,
                "period_start": d.first_day,
                "period_end": month_end(d.first_day),
                "status": S.DRAFT.value,
                "issued_on": d.issued.date() if d.issued else None,
                "due_on": d.due_on,
                "paid_on": None,
                "total": d.total,
                "currency": "USD",
                "note": d.note,
                "created_by_id": d.issued_by_id if d.credits else admin,
                "issued_by_id": d.issued_by_id,
                "version_id": 1,
                "created_at": d.created,
                "updated_at": d.created,
            }

    def invoice_line_rows(self) -> Iterator[dict]:
        for d in self.invoices:
            for line in d.lines:
                if d.credits is not None:  # its number is known now
                    description = invoices.amount_credit_description(d.credits.number, d.note or "")
                    line = {**line, "description": description}
                yield {"invoice_id": d.id, "credits_line_id": None, **line}

    def statement_rows(self) -> Iterator[dict]:
        for d in self.statements:
            yield {
                "id": d.id,
                "engineer_id": d.party_id,
                "number": None,
                "period_start": d.first_day,
                "period_end": month_end(d.first_day),
                "status": S.DRAFT.value,
                "issued_on": d.issued.date() if d.issued else None,
                "paid_on": None,
                "total": d.total,
                "currency": "USD",
                "created_by_id": self.g.users[0]["id"],
                "issued_by_id": d.issued_by_id,
                "version_id": 1,
                "created_at": d.created,
                "updated_at": d.created,
            }

    def pay_line_rows(self) -> Iterator[dict]:
        for d in self.statements:
            for line in d.lines:
                yield {"pay_statement_id": d.id, **line}

    @staticmethod
    def final_rows(documents: list[Document]) -> list[dict]:
        """The issued and paid documents' final state, for one UPDATE each (from draft)."""
        rows = []
        for d in documents:
            if d.issued is None:
                continue
            rows.append(
                {
                    "doc_id": d.id,
                    "status": S.PAID.value if d.paid_on else S.ISSUED.value,
                    "number": d.number,
                    "paid_on": d.paid_on,
                    "version_id": 3 if d.paid_on else 2,
                    "updated_at": d.paid or d.issued,
                }
            )
        return rows

    def document_number_rows(self) -> list[dict]:
        return [
            {"series": series, "year": year, "last": last}
            for (series, year), last in sorted(self.numbers.items())
        ]
