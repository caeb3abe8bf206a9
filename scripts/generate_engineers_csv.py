"""Write N valid engineer rows in the import format, the same for the same seed.

    python -m scripts.generate_engineers_csv 5000 /tmp/eng5000.csv [--seed 7] [--bad-row 501]

--bad-row K puts an impossible available_from date (2026-02-30) on the file's line K (the
header is line 1, so K >= 2): what a test of the all-or-nothing import needs.
"""

import argparse
import csv
import random
import re
import sys
import unicodedata
from datetime import date, timedelta
from pathlib import Path

from tracker.demo import catalogue as cat
from tracker.services.engineer_csv import COLUMNS, SCORE_COLUMNS, format_skills

BAD_DATE = "2026-02-30"
FIRST_AVAILABLE = date(2026, 1, 5)  # fixed, so the file does not depend on today
YEARS = {"junior": (1, 3), "mid": (3, 6), "senior": (6, 15)}
RATES = {"junior": (20, 35), "mid": (32, 55), "senior": (50, 90)}
STATUSES = {"vetted": 50, "sourced": 15, "screening": 15, "technical_interview": 12, "rejected": 8}


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


def engineer_row(rng: random.Random, n: int) -> dict[str, str]:
    """One plausible engineer; n makes the email unique."""
    code, zone, phones, lang, _ = rng.choices(cat.COUNTRIES, [c[-1] for c in cat.COUNTRIES])[0]
    city = rng.choice(list(phones))
    first, last = rng.choice(cat.FIRST_NAMES[lang]), rng.choice(cat.LAST_NAMES[lang])
    seniority = rng.choice(list(YEARS))
    start, end = _pick(rng, cat.ENGINEER_HOURS)
    status = _pick(rng, STATUSES)
    profile = cat.PROFILES[_pick(rng, cat.PROFILE_WEIGHTS)]
    skills = profile["core"] + rng.sample(profile["extra"], rng.randint(0, 3))
    row = {
        "full_name": f"{first} {last}",
        "email": f"{_slug(first)}.{_slug(last)}.{n}@generated.example",
        "phone": re.sub("#", lambda _: str(rng.randint(0, 9)), phones[city]),
        "country": code,
        "city": city,
        "timezone": zone,
        "workday_start": start.strftime("%H:%M"),
        "workday_end": end.strftime("%H:%M"),
        "seniority": seniority,
        "years_experience": str(rng.randint(*YEARS[seniority])),
        "english_level": rng.choice(("B1", "B2", "C1", "C2")),
        "hourly_rate": f"{rng.randint(*RATES[seniority])}.{rng.choice(('00', '50'))}",
        "available_from": (FIRST_AVAILABLE + timedelta(days=rng.randint(0, 180))).isoformat(),
        "vetting_status": status,
        "skills": format_skills((name, rng.randint(2, 5)) for name in skills),
    }
    scored = status in ("vetted", "rejected")
    row.update({s: str(rng.randint(3, 5)) if scored else "" for s in SCORE_COLUMNS})
    return row


def write_engineers_csv(path: Path, count: int, seed: int = 2026, bad_row: int | None = None):
    """Write count rows to path; with bad_row, that line gets an impossible date."""
    if bad_row is not None and not 2 <= bad_row <= count + 1:
        raise ValueError(f"--bad-row must be a data line, from 2 to {count + 1}")
    rng = random.Random(seed)  # noqa: S311 (test data, reproducible on purpose)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=[*COLUMNS, *SCORE_COLUMNS])
        writer.writeheader()
        for n in range(1, count + 1):
            row = engineer_row(rng, n)
            if n + 1 == bad_row:
                row["available_from"] = BAD_DATE
            writer.writerow(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int, help="how many engineers")
    parser.add_argument("out", type=Path, help="the CSV file to write")
    parser.add_argument("--seed", type=int, default=2026, help="same seed, same file")
    parser.add_argument("--bad-row", type=int, help="line number to give an impossible date")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("count must be at least 1")
    try:
        write_engineers_csv(args.out, args.count, args.seed, args.bad_row)
    except ValueError as e:
        parser.error(str(e))
    print(f"Wrote {args.count} engineers to {args.out}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
