"""rank_engineers on rosters of 10,000, 50,000 and 100,000 engineers, SQLite and PostgreSQL.

    python -m benchmarks.bench_matching [--sizes 10000,50000,100000] [--requests 25]
        [--backends sqlite,postgresql]

Prints p50/p95 per size and writes them to benchmarks/results.json under "rank_ms"
(other sections of that file are kept). Each request is ranked once with the overlap cache
cleared, as a request seen for the first time would be.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from config import TestingConfig
from tests.pg_database import drop_database, ensure_database
from tracker import create_app
from tracker.demo import roster
from tracker.extensions import db
from tracker.models import StaffingRequest
from tracker.services import matching, timezones

RESULTS = Path(__file__).resolve().parent / "results.json"
PG_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench"
)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile, nearest-rank."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def time_ranking(request_ids: list[int]) -> dict:
    timings, found = [], []
    for rid in request_ids:
        db.session.expire_all()
        req = db.session.get(StaffingRequest, rid)
        _ = req.client, [s.skill for s in req.skills]  # loaded by the page before ranking
        timezones._profile.cache_clear()
        began = time.perf_counter()
        matches = matching.rank_engineers(req, limit=20)
        timings.append((time.perf_counter() - began) * 1000)
        found.append(len(matches))
    return {
        "p50": round(statistics.median(timings), 2),
        "p95": round(percentile(timings, 95), 2),
        "requests": len(timings),
        "median_matches": statistics.median(found),
    }


def run_backend(name: str, uri: str, sizes: list[int], n_requests: int) -> dict:
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=uri)
    results = {}
    with app.app_context():
        upgrade()
        request_ids = roster.add_requests(n_requests)
        db.session.commit()
        have = 0
        for size in sizes:
            began = time.perf_counter()
            roster.add_engineers(size - have, seed=size)
            db.session.commit()
            if name == "postgresql":
                with db.engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
            else:
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
            have = size
            built = time.perf_counter() - began
            time_ranking(request_ids[:3])  # warm the connection pool and caches of the DB
            results[str(size)] = time_ranking(request_ids)
            r = results[str(size)]
            print(
                f"{name:<10} {size:>7} engineers  p50 {r['p50']:>7.1f} ms  p95 {r['p95']:>7.1f} ms"
                f"  (median {r['median_matches']} matches; roster built in {built:.1f} s)",
                flush=True,
            )
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--requests", type=int, default=25)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rank_ms = {}
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                rank_ms["sqlite"] = run_backend(
                    "sqlite", f"sqlite:///{tmp}/bench.db", sizes, args.requests
                )
        else:
            drop_database(PG_URL)
            ensure_database(PG_URL)
            try:
                rank_ms["postgresql"] = run_backend("postgresql", PG_URL, sizes, args.requests)
            finally:
                drop_database(PG_URL)
    for backend, by_size in rank_ms.items():
        if "10000" in by_size and "100000" in by_size:
            ratio = by_size["100000"]["p95"] / by_size["10000"]["p95"]
            print(f"{backend}: p95 at 100,000 is {ratio:.1f}x p95 at 10,000")
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data["rank_ms"] = {**data.get("rank_ms", {}), **rank_ms}
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
