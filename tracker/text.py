"""How dates and amounts read, the same in pages, messages and e-mails."""

from datetime import date, datetime

from babel import Locale

# Countries as people say them in English ("Nauru", "South Korea", "United States"), not the
# ISO register's formal names ("Naoero", "Korea, Republic of"): CLDR's names, through Babel.
_ENGLISH_TERRITORIES = Locale("en").territories


def country_name(code: str | None) -> str:
    """BR -> Brazil; an unknown code as it is; an em dash when empty."""
    if not code:
        return "—"
    return _ENGLISH_TERRITORIES.get(code.upper(), code)


def sentence(text: str) -> str:
    """The text ending a sentence: "Carolina S." stays as it is, "Ana" becomes "Ana."."""
    return text if text.endswith((".", "!", "?")) else f"{text}."


def day(value: date | datetime | None) -> str:
    """26 Nov 2026 (no leading zero); an em dash when empty."""
    if value is None:
        return "—"
    return f"{value.day} {value:%b %Y}"
