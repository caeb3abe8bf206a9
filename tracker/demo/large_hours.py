"""Rates, engineer accounts and hours of the large agency (tracker/demo/large.py).

Planned in memory after the placements, as the app's services would have left them, and written
with the other tables (the invoices and pay statements that bill these hours: large_billing):

- rates: every placement's first rate from its start date (as creation writes it), and a higher
  bill rate from the first of a recent month for some long-running placements (a renewal,
  agreed ten days before); a placement's own rates are the ones in effect today;
- engineer accounts: some engineers of running placements (and of open interviews) sign in;
- timesheets: the tracker has kept hours for the last `Scale.tracked_weeks` weeks: every
  placement live in that time has a week's timesheet per week that ended, entered by its
  engineer (Friday evening) or the account manager (Monday), answered as data._logged_week
  answers them (the client within three working days, the account manager on the client's
  behalf, automatically after TIMESHEET_AUTO_APPROVE_DAYS), the latest ones still waiting; a
  few placements with a rejected week, missing weeks or low hours; this week's draft of the
  engineers who sign in. Each placement's hours summary is timesheets.hours_summary's.

The services stamp what they write with the clock and check the rules one call at a time; at
this scale the rows are planned with the same functions and written in bulk instead.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from flask import current_app

from tracker.demo import catalogue as cat
from tracker.demo.data import PAYMENT_TERMS, _business_days_after, _week_entries, _World
from tracker.models import Placement
from tracker.models.enums import TimesheetStatus
from tracker.services import timesheets

if TYPE_CHECKING:
    from tracker.demo.large import Generator, Plan

DAY = timedelta(days=1)
CENT = Decimal("0.01")
T = TimesheetStatus
# Long-running placements renewed at a higher bill rate in the last months (the engineer keeps
# their rate), as data._add_rates does for two of them.
RAISED_SHARE = 0.08
RAISE = Decimal("1.05")
# What the weeks of a live placement show, besides the usual: missing weeks, a rejected week
# waiting to be corrected, a stretch of low hours (shares of the live placements).
STORIES = {"missing": 0.03, "rejected": 0.015, "low": 0.02}
AUTOMATIC_SHARE = 0.08  # weeks nobody answered, approved by the daily job
ON_BEHALF_SHARE = 0.1  # weeks a client with a portal sign-in confirmed by e-mail instead
WAITING_SHARE = 0.35  # the latest week of a live placement, not answered yet
DRAFT_SHARE = 0.7  # engineers who sign in with this week's days saved so far


@dataclass(slots=True, eq=False)
class Named:
    """The part of an engineer, client or request a line's description and order read."""

    full_name: str = ""
    name: str = ""
    title: str = ""


@dataclass(slots=True, eq=False)
class Rate:
    """A PlacementRate as rates.rates_between reads it."""

    effective_from: date
    bill_rate: Decimal
    pay_rate: Decimal


@dataclass(slots=True, eq=False)
class Billed:
    """A placement as the hours and billing services read it (rates, days, names)."""

    id: int
    client_id: int
    engineer_id: int
    start_date: date
    end_date: date | None
    timesheets_from: date | None
    rates: list[Rate]
    engineer: Named
    client: Named
    request: Named
    hours_per_week: Decimal = Decimal(40)


@dataclass(slots=True, eq=False)
class Sheet:
    """A planned timesheet."""

    id: int
    placement: Billed
    week_start: date
    state: str  # the status it is written with: a plan, decided as it is made, not a model
    total_hours: Decimal
    created: datetime
    submitted_by_id: int
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by_id: int | None = None
    automatic: bool = False
    decision_note: str | None = None

    @property
    def status(self) -> str:
        """As a timesheet reads (timesheets.hours_summary takes plans and rows alike)."""
        return self.state


@dataclass(slots=True, eq=False)
class Entry:
    """A planned timesheet entry, with the lines that bill and pay it once written."""

    id: int
    timesheet: Sheet
    work_date: date
    hours: Decimal
    note: str | None
    invoice_line_id: int | None = None
    pay_line_id: int | None = None


@dataclass
class Hours:
    """The rates, accounts and weeks of hours of the agency, planned from its placements."""

    g: "Generator"
    rng: random.Random
    placements: dict[int, Billed] = field(default_factory=dict)
    rates: list[dict] = field(default_factory=list)
    accounts: dict[int, int] = field(default_factory=dict)  # engineer id -> their user
    sheets: list[Sheet] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    summaries: dict[int, timesheets.HoursSummary] = field(default_factory=dict)  # by placement
    in_effect: dict[int, Rate] = field(default_factory=dict)  # by placement

    # --- rates and the placements as billed ----------------------------------------------------

    def plan_rates(self) -> None:
        """First rates for every placement, a renewal for some running ones; the placement's
        own bill and pay rates are the ones in effect today (rates.apply_rates_in_effect)."""
        g, rng, today = self.g, self.rng, self.g.today
        managers = {c["id"]: c["account_manager_id"] for c in g.clients}
        for plan in g.plans:
            req, engineer = plan.req, g.engineers[plan.engineer - 1]
            pay = engineer["hourly_rate"]
            bill = (pay * (140 + plan.id % 41) / 100).quantize(CENT)
            if req.row["max_bill_rate"] is not None and bill > req.row["max_bill_rate"]:
                bill = max(req.row["max_bill_rate"], (pay * Decimal("1.3")).quantize(CENT))
            rates = [Rate(plan.start, bill, pay)]
            self._rate(plan, rates[0], plan.created, managers[req.client], None)
            raised_on = (today - timedelta(days=rng.choice((35, 65, 95, 125)))).replace(day=1)
            if (
                plan.reason is None
                and plan.start <= raised_on - timedelta(days=150)
                and rng.random() < RAISED_SHARE
            ):
                raised = Rate(raised_on, (bill * RAISE).quantize(CENT), pay)
                agreed = _at(raised_on - timedelta(days=10), rng.randint(14, 17), rng)
                note = "Contract renewed at the new year's rate."
                self._rate(plan, raised, agreed, managers[req.client], note)
                rates.append(raised)
            # What the placement's own columns hold: the rates in effect today.
            self.in_effect[plan.id] = rates[-1] if rates[-1].effective_from <= today else rates[0]
            self.placements[plan.id] = Billed(
                id=plan.id,
                client_id=req.client,
                engineer_id=plan.engineer,
                start_date=plan.start,
                end_date=plan.end,
                timesheets_from=None,
                rates=rates,
                engineer=Named(full_name=engineer["full_name"]),
                client=Named(name=g.clients[req.client - 1]["name"]),
                request=Named(title=req.row["title"]),
            )

    def _rate(self, plan: "Plan", rate: Rate, at: datetime, by: int, note: str | None) -> None:
        self.rates.append(
            {
                "id": len(self.rates) + 1,
                "placement_id": plan.id,
                "effective_from": rate.effective_from,
                "bill_rate": rate.bill_rate,
                "pay_rate": rate.pay_rate,
                "note": note,
                "created_at": at,
                "created_by_id": by,
            }
        )

    # --- who signs in --------------------------------------------------------------------------

    def plan_accounts(self, count: int, password_hash: str) -> None:
        """Accounts for `count` engineers: most of running placements, some who have an open
        interview (an engineer confirms its time, or proposes others)."""
        g, rng, today = self.g, self.rng, self.g.today
        running = sorted(
            {
                p.engineer
                for p in g.plans
                if p.reason is None
                and p.start <= today - timedelta(days=21)
                and (p.end is None or p.end >= today + timedelta(days=14))
                and g.engineers[p.engineer - 1]["is_active"]
            }
        )
        interviewing = sorted(
            {
                p["engineer_id"]
                for p in g.proposals
                if p["status"] == "interviewing" and g.engineers[p["engineer_id"] - 1]["is_active"]
            }
            - set(running)
        )
        share = count * 4 // 5
        picked = rng.sample(running, min(share, len(running)))
        picked += rng.sample(interviewing, min(count - len(picked), len(interviewing)))
        for engineer_id in sorted(picked):
            e = g.engineers[engineer_id - 1]
            since = _at(today - timedelta(days=rng.randint(30, 7 * g.scale.tracked_weeks)), 15, rng)
            user = g._user("engineer", e["email"], e["full_name"], None, since, engineer_id)
            g.users[-1]["password_hash"] = password_hash
            self.accounts[engineer_id] = user

    # --- timesheets ----------------------------------------------------------------------------

    def plan_timesheets(self) -> None:
        """A timesheet per placement and week that ended since the tracker keeps hours, with
        its entries; this week's drafts; each placement's hours summary."""
        g, rng, today = self.g, self.rng, self.g.today
        since = timesheets.week_of(today) - timedelta(weeks=g.scale.tracked_weeks)
        managers = {c["id"]: c["account_manager_id"] for c in g.clients}
        day_shim = cast(_World, _Days(rng, today))
        stories = self._stories(since)
        for plan in g.plans:
            placement = self.placements[plan.id]
            if plan.start > today:
                placement.timesheets_from = plan.start  # as a new placement gets it
                continue
            if plan.end is not None and plan.end < since:
                continue  # billed before the tracker kept hours
            placement.timesheets_from = max(plan.start, since)
            live = plan.reason is None
            mondays = _mondays(placement, today)
            ended = [m for m in mondays if m + timedelta(days=6) < today]
            story = stories.get(plan.id)
            special = set(ended[-rng.randint(1, 5) :]) if story == "missing" else set()
            if story == "low":
                special = set(ended[-rng.randint(2, 5) :])
            who = self.accounts.get(plan.engineer) or managers[plan.req.client]
            sheets = []
            for monday in mondays:
                if monday not in ended:  # this week: saved as the days go, by the engineer
                    if live and plan.engineer in self.accounts and rng.random() < DRAFT_SHARE:
                        draft = self._draft(placement, monday, who, day_shim)
                        sheets += [draft] if draft else []
                    continue
                if story == "missing" and monday in special:
                    continue
                if story == "rejected" and monday == ended[-1]:
                    sheets.append(self._rejected(plan, placement, monday, who, day_shim))
                    continue
                entries = _week_entries(
                    day_shim, cast(Placement, placement), monday, low=monday in special
                )
                answer = "client"
                if rng.random() < AUTOMATIC_SHARE:
                    answer = "automatic"
                elif live and monday == ended[-1] and rng.random() < WAITING_SHARE:
                    answer = "none yet"
                sheet = self._logged(plan, placement, monday, entries, who, answer)
                if sheet is not None:
                    sheets.append(sheet)
            self.summaries[plan.id] = timesheets.hours_summary(placement, sheets, today)

    def _stories(self, since: date) -> dict[int, str]:
        """Which running placements show missing weeks, a rejected week or low hours (at least
        one each): healthy ones with three weeks tracked, whose hours are then the reason."""
        today = self.g.today
        first_week = max(since, timesheets.week_of(today) - timedelta(weeks=3))
        eligible = [
            p.id
            for p in self.g.plans
            if p.reason is None and p.mood == "healthy" and p.start <= first_week
        ]
        picked = self.rng.sample(eligible, len(eligible))
        stories: dict[int, str] = {}
        taken = 0
        for story, share in STORIES.items():
            count = max(1, round(share * len(eligible)))
            stories |= dict.fromkeys(picked[taken : taken + count], story)
            taken += count
        return stories

    def _sheet(self, placement: Billed, monday: date, entries, who: int, at: datetime) -> Sheet:
        """A week saved (a draft), its entries capped as data._entered caps them."""
        cap = Decimal(current_app.config["TIMESHEET_MAX_WEEKLY_HOURS"])
        while sum(e.hours for e in entries) > cap:
            entries = entries[:-1]
        total = sum((e.hours for e in entries), Decimal(0))
        sheet = Sheet(len(self.sheets) + 1, placement, monday, T.DRAFT.value, total, at, who)
        self.sheets.append(sheet)
        for e in entries:
            self.entries.append(Entry(len(self.entries) + 1, sheet, e.work_date, e.hours, e.note))
        return sheet

    def _draft(self, placement: Billed, monday: date, who: int, days: _World) -> Sheet | None:
        """The engineer's week in progress: the weekdays so far, saved last night."""
        today = self.g.today
        entries = [
            e
            for e in _week_entries(days, cast(Placement, placement), monday)
            if e.work_date.weekday() < 5
        ]
        if not entries:  # Monday: nothing worked yet
            return None
        return self._sheet(placement, monday, entries, who, _at(today - DAY, 21, self.rng))

    def _logged(
        self, plan: "Plan", placement: Billed, monday: date, entries, who: int, answer: str
    ) -> Sheet | None:
        """A week entered, submitted and answered as data._logged_week does it."""
        rng, today = self.rng, self.g.today
        if not entries:
            return None
        engineer = who == self.accounts.get(plan.engineer)
        friday, monday_after = monday + timedelta(days=4), monday + timedelta(days=7)
        early = answer != "none yet" and engineer and rng.random() < 0.7
        if monday_after >= today or early:
            entered = _at(friday, rng.randint(17, 20), rng)
        else:
            entered = _at(monday_after, rng.randint(12, 15), rng)
        sheet = self._sheet(placement, monday, entries, who, entered)
        sheet.state = T.SUBMITTED.value
        sheet.submitted_at = entered + timedelta(minutes=rng.randint(2, 15))
        if answer == "automatic":  # as the daily job does it, on the morning it is due
            auto_days = int(current_app.config["TIMESHEET_AUTO_APPROVE_DAYS"])
            due = _business_days_after(sheet.submitted_at.date(), auto_days)
            if due < today:
                sheet.state, sheet.automatic = T.APPROVED.value, True
                sheet.decided_at = _at(due, 6, rng)
                return sheet
        answer_day = _business_days_after(sheet.submitted_at.date(), rng.randint(1, 3))
        if answer == "none yet" or answer_day >= today:
            return sheet
        sheet.state = T.APPROVED.value
        sheet.decided_at = _at(answer_day, rng.randint(14, 18), rng)
        client_user = self.g.client_user.get(plan.req.client)
        if client_user is not None and rng.random() >= ON_BEHALF_SHARE:
            sheet.decided_by_id = client_user
        else:  # the account manager, for a client who confirmed by e-mail
            sheet.decided_by_id = self.g.clients[plan.req.client - 1]["account_manager_id"]
            contact = cat.CLIENT_CONTACTS[(plan.req.client - 1) % len(cat.CLIENT_CONTACTS)]
            sheet.decision_note = cat.ON_BEHALF_NOTE.format(name=contact)
        return sheet

    def _rejected(self, plan: "Plan", placement: Billed, monday: date, who: int, days) -> Sheet:
        """The last week, submitted on Friday with a 10-hour offsite day, sent back with the
        reason the next working day (or the same evening when that is today)."""
        rng, today = self.rng, self.g.today
        entries = _week_entries(days, cast(Placement, placement), monday, offsite=True)
        sheet = self._sheet(
            placement, monday, entries, who, _at(monday + timedelta(days=4), 17, rng)
        )
        sheet.state = T.REJECTED.value
        sheet.submitted_at = sheet.created + timedelta(minutes=rng.randint(2, 15))
        disputed = next((e.work_date for e in entries if e.note == cat.OFFSITE_NOTE), monday)
        sheet.decision_note = cat.OFFSITE_REASON.format(day=disputed.strftime("%A"))
        next_day = monday + timedelta(days=7)
        sheet.decided_at = (
            _at(next_day, rng.randint(15, 17), rng)
            if next_day < today
            else _at(sheet.submitted_at.date(), 21, rng)
        )
        client = plan.req.client
        sheet.decided_by_id = (
            self.g.client_user.get(client) or (self.g.clients[client - 1]["account_manager_id"])
        )
        return sheet

    # --- rows ----------------------------------------------------------------------------------

    def placement_fields(self, plan: "Plan") -> dict:
        """What the rates and hours add to a placement's row."""
        placement = self.placements[plan.id]
        summary = self.summaries.get(plan.id) or timesheets.HoursSummary(0, 0, None)
        rate = self.in_effect[plan.id]
        return {
            "bill_rate": rate.bill_rate,
            "pay_rate": rate.pay_rate,
            "timesheets_from": placement.timesheets_from,
            "low_hours_weeks": summary.low_hours_weeks,
            "missing_weeks": summary.missing_weeks,
            "rejected_since": summary.rejected_since,
        }

    def timesheet_rows(self) -> Iterator[dict]:
        for s in self.sheets:
            answered = s.state in (T.APPROVED, T.REJECTED)
            yield {
                "id": s.id,
                "placement_id": s.placement.id,
                "week_start": s.week_start,
                "status": s.state,
                "total_hours": s.total_hours,
                "submitted_at": s.submitted_at,
                "submitted_by_id": s.submitted_by_id if s.submitted_at else None,
                "decided_at": s.decided_at,
                "decided_by_id": s.decided_by_id,
                "approved_automatically": s.automatic,
                "decision_note": s.decision_note,
                "version_id": 1 + (s.submitted_at is not None) + answered,
                "created_at": s.created,
                "updated_at": s.decided_at or s.submitted_at or s.created,
            }

    def entry_rows(self) -> Iterator[dict]:
        for e in self.entries:
            yield {
                "id": e.id,
                "timesheet_id": e.timesheet.id,
                "work_date": e.work_date,
                "hours": e.hours,
                "note": e.note,
                "invoice_line_id": e.invoice_line_id,
                "pay_line_id": e.pay_line_id,
            }


@dataclass(slots=True)
class _Days:
    """What data._week_entries reads of the demo's world: its random numbers and today."""

    rng: random.Random
    today: date


def _at(day: date, hour: int, rng: random.Random) -> datetime:
    """A UTC instant in that hour of a day."""
    return datetime.combine(day, time(hour, rng.choice((0, 10, 25, 40, 55))), tzinfo=UTC)


def _mondays(placement: Billed, today: date) -> list[date]:
    """The Mondays of the placement's tracked weeks up to this week, oldest first."""
    assert placement.timesheets_from is not None
    first = timesheets.week_of(placement.timesheets_from)
    return [
        m for m in reversed(timesheets.weeks_of(cast(Placement, placement), today)) if m >= first
    ]


def payment_terms(client_number: int) -> int:
    """A client's payment terms (days), in turn as the demo's clients have them."""
    return PAYMENT_TERMS[(client_number - 1) % len(PAYMENT_TERMS)]
