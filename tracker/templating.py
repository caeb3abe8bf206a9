"""Jinja filters and globals: money, dates, hours, and the navigation a role sees."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Flask, request, url_for
from flask_login import current_user

from tracker.models.enums import STAFF_ROLES, Role
from tracker.reports.charts import as_table
from tracker.reports.history import readable, reference_ids
from tracker.services.timezones import selectable_timezones
from tracker.text import country_name, day

STAFF = STAFF_ROLES
CLIENT = frozenset({Role.CLIENT.value})
ENGINEER = frozenset({Role.ENGINEER.value})


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset[str]
    icon: str
    # Endpoint prefixes that light this item up; the blueprint by default.
    match: tuple[str, ...] = ()

    def is_current(self, endpoint: str | None) -> bool:
        if not endpoint:
            return False
        prefixes = self.match or (self.endpoint.split(".")[0] + ".",)
        return endpoint.startswith(prefixes)


# Shown only when the endpoint exists, so an area appears once its blueprint lands.
NAVIGATION = (
    NavItem("Dashboard", "dashboard.index", STAFF, "speedometer2"),
    NavItem("Clients", "clients.index", STAFF, "building"),
    NavItem("Engineers", "engineers.index", STAFF, "people"),
    NavItem("Requests", "requests.index", STAFF, "clipboard-check"),
    NavItem("Placements", "placements.index", STAFF, "briefcase"),
    NavItem("Interviews", "interviews.index", STAFF, "camera-video"),
    NavItem("Reviews", "reviews.index", STAFF, "chat-square-text"),
    NavItem("Timesheets", "timesheets.index", STAFF, "clock-history"),
    NavItem("Billing", "invoices.index", STAFF, "receipt", ("invoices.", "pay_statements.")),
    NavItem("Overview", "portal.index", CLIENT, "house", ("portal.index",)),
    NavItem("Requests", "portal.requests", CLIENT, "clipboard-check", ("portal.request",)),
    NavItem("Proposals", "portal.proposals", CLIENT, "people", ("portal.proposal",)),
    NavItem("Interviews", "portal.interviews", CLIENT, "camera-video", ("portal.interview",)),
    NavItem("Placements", "portal.placements", CLIENT, "briefcase", ("portal.placement",)),
    NavItem("Timesheets", "portal.timesheets", CLIENT, "clock-history", ("portal.timesheet",)),
    NavItem("Invoices", "portal.invoices", CLIENT, "receipt", ("portal.invoice",)),
    NavItem("My work", "me.index", ENGINEER, "house", ("me.index", "me.placement", "me.week")),
    NavItem("Interviews", "me.interviews", ENGINEER, "camera-video", ("me.interview",)),
    NavItem("Timesheets", "me.timesheets", ENGINEER, "clock-history", ("me.timesheet",)),
    NavItem("Pay", "me.pay_statements", ENGINEER, "cash-coin", ("me.pay_statement",)),
    NavItem("Profile", "me.profile", ENGINEER, "person", ("me.profile",)),
)
# Settings, in the user menu (the bar stays on one line at 1366 px): Users (admins), Webhooks.


def money(value: Decimal | int | float | None, currency: str = "$") -> str:
    """$1,234.50, -$120.00 (a credit note, as its PDF prints it); an em dash when empty."""
    if value is None:
        return "—"
    amount = Decimal(value)
    sign = "-" if amount < 0 else ""  # before the currency, as people write it
    return f"{sign}{currency}{abs(amount):,.2f}"


def moment(value: datetime | None) -> str:
    """26 Nov 2026 14:05 UTC."""
    if value is None:
        return "—"
    return f"{value.day} {value:%b %Y %H:%M} UTC"


def hours(value: float | Decimal | None) -> str:
    """4 h, 4.5 h, 4.25 h."""
    if value is None:
        return "—"
    return f"{float(value):g} h"


def clock(value) -> str:
    """09:00."""
    return "—" if value is None else value.strftime("%H:%M")


def label(value: str | None) -> str:
    """on_hold -> On hold."""
    if not value:
        return "—"
    return str(value).replace("_", " ").capitalize()


# Where a named record's page is, for the links of a staff member's timeline.
RECORD_PAGES = {
    "client": ("clients.detail", "client_id"),
    "engineer": ("engineers.detail", "engineer_id"),
    "request": ("requests.detail", "request_id"),
    "replaces": ("placements.detail", "placement_id"),
    "placement": ("placements.detail", "placement_id"),
}


def _values(argument: str, value: int) -> dict[str, Any]:
    """url_for's keyword arguments naming one record."""
    return {argument: value}


def history_rows(changes: dict | None, linked: bool = False) -> list[tuple]:
    """(field, label, old, new, old link, new link) of a timeline entry; links to the named
    records' pages only when asked (staff), never in the portal."""
    rows = []
    for field, name, old, new in readable(changes):
        links: tuple[str | None, ...] = (None, None)
        if linked and field in RECORD_PAGES:
            endpoint, argument = RECORD_PAGES[field]
            links = tuple(
                url_for(endpoint, **_values(argument, i)) if isinstance(i, int) else None
                for i in reference_ids(changes, field)
            )
        rows.append((field, name, old, new, *links))
    return rows


def register(app: Flask) -> None:
    """Install filters and the context every page uses."""
    app.jinja_env.filters.update(
        money=money,
        day=day,
        moment=moment,
        hours=hours,
        clock=clock,
        label=label,
        history=history_rows,
        country=country_name,
    )
    app.jinja_env.globals.update(iana_zones=selectable_timezones, chart_table=as_table)

    @app.context_processor
    def navigation():
        if not current_user.is_authenticated:
            return {"nav_items": ()}
        items = [
            item
            for item in NAVIGATION
            if current_user.role in item.roles and item.endpoint in app.view_functions
        ]
        return {"nav_items": items, "current_endpoint": request.endpoint}
