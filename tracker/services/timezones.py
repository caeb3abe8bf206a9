"""Time zones: which IANA names the app offers and accepts."""

import zoneinfo
from functools import cache

# Legacy aliases and POSIX-style names: valid for zoneinfo, confusing in a form.
_HIDDEN_PREFIXES = (
    "Etc/",
    "SystemV/",
    "US/",
    "posix",
    "right/",
    "Canada/",
    "Brazil/",
    "Chile/",
    "Mexico/",
)


@cache
def selectable_timezones() -> tuple[str, ...]:
    """Canonical 'Region/City' zone names plus UTC, sorted."""
    names = {
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(_HIDDEN_PREFIXES)
    }
    return tuple(sorted(names | {"UTC"}))


@cache
def _selectable_set() -> frozenset[str]:
    return frozenset(selectable_timezones())


def is_valid_timezone(name: str | None) -> bool:
    """Whether the name is one of the zones the app offers."""
    return bool(name) and name in _selectable_set()
