"""How a recorded change reads in a timeline: in words, never in the database's terms.

Events keep what was recorded (tracker.infra.audit); this turns it into what a person reads:
field names as labels, yes / no instead of True / False, statuses and reasons as words, dates
and times as the rest of the app writes them, amounts in dollars, and nothing a person has no
use for — ids (records are named when recorded), secrets, timestamps and the summaries the app
keeps for itself. Events recorded before those rules are read the same way.
"""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tracker.infra.audit import BOOKKEEPING_FIELDS, IGNORED_FIELDS
from tracker.text import day

# Fields whose values are enumerations: shown as words ("on_hold" reads "On hold").
WORDED_FIELDS = frozenset({
    "status", "seniority", "vetting_status", "end_reason", "priority", "role",
    "decline_reason", "kind",
})  # fmt: skip
MONEY_FIELDS = frozenset({"bill_rate", "pay_rate", "hourly_rate", "max_bill_rate"})
LABELS = {
    "min_overlap_hours": "Minimum overlap (hours)",
    "max_bill_rate": "Budget (USD/h)",
    "review_cadence_days": "Reviews every (days)",
    "would_continue": "Would continue",
    "duration_weeks": "Duration (weeks)",
    "workday_start": "Working day starts",
    "workday_end": "Working day ends",
    "english_level": "English level",
    "years_experience": "Years of experience",
    "available_from": "Available from",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def is_shown(field: str) -> bool:
    """Whether a recorded field is shown in history at all."""
    return not (field in IGNORED_FIELDS or field in BOOKKEEPING_FIELDS or field.endswith("_id"))


def field_label(field: str) -> str:
    """would_continue -> Would continue; a free-form key ("iteration 3") as it is."""
    if field in LABELS:
        return LABELS[field]
    return field.replace("_", " ").capitalize() if field.islower() else field


def value_text(field: str, value: Any) -> str | None:
    """A recorded value as words; None stays None (the timeline shows a dash)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field in MONEY_FIELDS:
        try:
            return f"${Decimal(str(value)):,.2f}"
        except InvalidOperation:
            return str(value)
    if isinstance(value, str):
        if field in WORDED_FIELDS:
            return value.replace("_", " ").capitalize()
        if _INSTANT.match(value):
            try:
                instant = datetime.fromisoformat(value)
            except ValueError:
                return value
            return f"{instant.day} {instant:%b %Y %H:%M}" + (" UTC" if instant.tzinfo else "")
        if _DATE.fullmatch(value):
            try:
                return day(date.fromisoformat(value))
            except ValueError:
                return value
    return str(value)


# A named reference and the field that holds its ids: {"client": "client_id", …}.
REFERENCE_IDS = {
    "client": "client_id",
    "engineer": "engineer_id",
    "request": "request_id",
    "proposal": "proposal_id",
    "replaces": "replaces_placement_id",
    "placement": "placement_id",
    "account_manager": "account_manager_id",
}


def readable(changes: dict[str, list[Any]] | None) -> list[tuple[str, str, str | None, str | None]]:
    """(field, label, old, new) of each change a person reads, in the order of the labels."""
    rows = [
        (field, field_label(field), value_text(field, old), value_text(field, new))
        for field, (old, new) in (changes or {}).items()
        if is_shown(field)
    ]
    return sorted(rows, key=lambda row: row[1].lower())


def reference_ids(changes: dict[str, list[Any]] | None, field: str) -> tuple[Any, Any]:
    """(old id, new id) of a named reference, when the event recorded them."""
    ids = (changes or {}).get(REFERENCE_IDS.get(field, ""))
    return (ids[0], ids[1]) if isinstance(ids, list) and len(ids) == 2 else (None, None)
