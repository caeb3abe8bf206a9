"""Jinja filters and globals: money, dates, hours, and the navigation a role sees."""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, has_request_context, request, url_for
from flask_login import current_user
from markupsafe import Markup

from tracker.infra.cache import cached
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


def shared_fragment(name: str, key: tuple[Hashable, ...], render: Callable[[], str]) -> Markup:
    """A piece of a page that every member of staff who asks the same way sees the same (a
    list's table, the dashboard's cards), rendered once and reused until the next write to the
    data (tracker.infra.cache: never staler than that, nor than MAX_AGE_SECONDS).

    `key` must name everything else the HTML depends on: the query string, the day, the
    clock where the HTML shows it. Nothing about the user may be in the HTML (their name,
    a CSRF token, their notifications): those stay in the page around it."""
    html = cached(("fragment", name, request.script_root, *key), render)
    return Markup(html)  # noqa: S704 (a template's output, escaped when it was rendered)


def render_fragment(template: str, **context: Any) -> str:
    """A partial rendered on its own, for shared_fragment: the app's globals and filters but
    none of the context processors (no current user, no unread count), as befits HTML that
    every member of staff is shown."""
    return current_app.jinja_env.get_template(template).render(context)


# Links a template builds, kept per app: the same few hundred (the navigation, a list's rows
# and sort headers) are built on every page, each a walk through the URL map.
URL_MEMO_MAX = 4096


def memoized_url_for(app: Flask):
    """The templates' url_for: app.url_for, each answer kept for the same endpoint, values,
    script root, method and (for ".endpoint") blueprint of the request, which are all a link
    inside the app depends on here (no url_defaults; external links are built afresh)."""
    store: dict[tuple, str] = {}
    build = app.url_for

    def url_for_(endpoint: str, /, **values) -> str:
        if (
            not has_request_context()
            or any(app.url_default_functions.values())
            or any(name[:1] == "_" for name in values)  # _external, _anchor, _method, …
        ):
            return build(endpoint, **values)
        blueprint = request.blueprint if endpoint[:1] == "." else None
        key = (
            request.script_root,
            request.method,
            blueprint,
            endpoint,
            # With the types: 1 and True are equal keys but build different links.
            *((name, type(value), value) for name, value in values.items()),
        )
        try:
            url = store.get(key)
        except TypeError:  # a list or a dict among the values
            return build(endpoint, **values)
        if url is None:
            url = build(endpoint, **values)
            if len(store) >= URL_MEMO_MAX:
                store.clear()
            store[key] = url
        return url

    return url_for_


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
    app.jinja_env.globals.update(
        iana_zones=selectable_timezones, chart_table=as_table, url_for=memoized_url_for(app)
    )

    by_role: dict[str, list[NavItem]] = {}  # the routes are all known once the app serves

    @app.context_processor
    def navigation():
        if not current_user.is_authenticated:
            return {"nav_items": ()}
        role = current_user.role
        if (items := by_role.get(role)) is None:
            items = by_role[role] = [
                item
                for item in NAVIGATION
                if role in item.roles and item.endpoint in app.view_functions
            ]
        return {"nav_items": items, "current_endpoint": request.endpoint}
