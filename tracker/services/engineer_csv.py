"""The engineer CSV format, shared by export and import so a file round-trips."""

import re

from tracker.models import Engineer

COLUMNS = (
    "full_name",
    "email",
    "phone",
    "country",
    "city",
    "timezone",
    "workday_start",
    "workday_end",
    "seniority",
    "years_experience",
    "english_level",
    "hourly_rate",
    "available_from",
    "vetting_status",
    "skills",
)
# Optional on import (a vetted engineer needs all four), always written on export.
SCORE_COLUMNS = ("code_quality", "system_design", "api_integration", "communication")

_SKILL = re.compile(r"^\s*(?P<name>[^:;]+?)\s*:\s*(?P<level>\S+)\s*$")


def format_skills(pairs) -> str:
    """[(name, level), …] -> 'Python:5;PyTorch:4', by level then name."""
    ordered = sorted(pairs, key=lambda p: (-p[1], p[0].lower()))
    return ";".join(f"{name}:{level}" for name, level in ordered)


def parse_skills(text: str | None) -> list[tuple[str, int]]:
    """'Python:5;PyTorch:4' -> [('Python', 5), ('PyTorch', 4)]; ValueError says what is wrong."""
    result: list[tuple[str, int]] = []
    seen: set[str] = set()
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        match = _SKILL.match(part)
        if not match:
            raise ValueError(f"“{part.strip()}” is not name:level (e.g. Python:5)")
        name, level = match["name"], match["level"]
        if (
            not (level.isascii() and level.isdigit() and len(level) <= 2)
            or not 1 <= int(level) <= 5
        ):
            raise ValueError(f"the level of {name} must be a whole number from 1 to 5")
        if name.lower() in seen:
            raise ValueError(f"{name} is listed twice")
        seen.add(name.lower())
        result.append((name, int(level)))
    return result


def engineer_row(engineer: Engineer) -> list:
    """One engineer as a row of COLUMNS + SCORE_COLUMNS (skills must be loaded)."""
    skills = format_skills((es.skill.name, es.level) for es in engineer.skills)
    values = {
        "workday_start": engineer.workday_start.strftime("%H:%M"),
        "workday_end": engineer.workday_end.strftime("%H:%M"),
        "available_from": engineer.available_from.isoformat() if engineer.available_from else "",
        "hourly_rate": f"{engineer.hourly_rate:.2f}",
        "skills": skills,
    }
    return [values[c] if c in values else getattr(engineer, c) for c in (*COLUMNS, *SCORE_COLUMNS)]
