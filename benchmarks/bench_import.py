"""How long the CSV import takes to refuse a hostile header, against a one-row file.

    python -m benchmarks.bench_import [--repeat 5]

A header of 100,000 unknown columns (about 700 KB) used to keep a worker busy for minutes
(a `header.count` per column). It is refused now before any row is read, in about the time of
reading a one-row file. Both are timed through plan_import on a migrated SQLite database, the
way the upload page calls it; results.json's "import" section.
"""

import argparse
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from benchmarks.bench_pages import save
from config import TestingConfig
from tracker import create_app
from tracker.services.engineer_csv import COLUMNS, SCORE_COLUMNS
from tracker.services.engineer_import import ImportFileError, plan_import

ONE_ROW = ",".join((*COLUMNS, *SCORE_COLUMNS)) + "\n" + ",".join((
    "Ana Souza", "ana@example.com", "+55 11 91234-5678", "BR", "Recife", "America/Recife",
    "09:00", "18:00", "senior", "8", "C1", "55.00", "", "vetted", "Python:5", "4", "4", "4", "4",
)) + "\n"  # fmt: skip
WIDE_COLUMNS = 100_000


def _median_ms(text: str, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        with contextlib.suppress(ImportFileError):  # the wide header's refusal is the point
            plan_import(text)
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def run(repeat: int) -> dict:
    wide = ",".join(f"column{i}" for i in range(WIDE_COLUMNS)) + "\n"
    with tempfile.TemporaryDirectory() as folder:
        uri = f"sqlite:///{Path(folder) / 'bench.db'}"
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=uri)
        with app.app_context():
            upgrade()
            results = {
                "one_row_file_ms": round(_median_ms(ONE_ROW, repeat), 2),
                "wide_header_refused_ms": round(_median_ms(wide, repeat), 2),
                "wide_header_columns": WIDE_COLUMNS,
                "wide_header_bytes": len(wide.encode()),
            }
    save("import", results)
    print(
        f"plan_import, median of {repeat}: one-row file {results['one_row_file_ms']} ms; "
        f"{WIDE_COLUMNS:,}-column header ({results['wide_header_bytes']:,} bytes) refused in "
        f"{results['wide_header_refused_ms']} ms"
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    run(parser.parse_args().repeat)


if __name__ == "__main__":
    main()
