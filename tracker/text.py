"""How dates and amounts read, the same in pages, messages and e-mails."""

from datetime import date, datetime


def sentence(text: str) -> str:
    """The text ending a sentence: "Carolina S." stays as it is, "Ana" becomes "Ana."."""
    return text if text.endswith((".", "!", "?")) else f"{text}."


def day(value: date | datetime | None) -> str:
    """26 Nov 2026 (no leading zero); an em dash when empty."""
    if value is None:
        return "—"
    return f"{value.day} {value:%b %Y}"
