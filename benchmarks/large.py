"""`python -m benchmarks.large DATABASE_URL [--seed 2026] [--fraction 0.1]`: the large agency
(tracker/demo/large.py) written into a migrated, empty database of your choice."""

import argparse
import time as clock

import click

from tracker.demo.large import LARGE, analyze, seed
from tracker.extensions import db


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the large agency into a database.")
    parser.add_argument("url", help="SQLAlchemy URL of a migrated, empty database")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--fraction", type=float, default=1.0, help="share of the large scale")
    args = parser.parse_args()
    from flask_migrate import upgrade

    from benchmarks.bench_pages import BenchConfig
    from tracker import create_app

    app = create_app(BenchConfig, SQLALCHEMY_DATABASE_URI=args.url)
    with app.app_context():
        upgrade()
        began = clock.perf_counter()
        result = seed(seed=args.seed, scale=LARGE.fraction(args.fraction))
        db.session.commit()
        analyze()
        click.echo(result.summary())
        click.echo(f"in {clock.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
