"""Every benchmark, for `make bench`: matching, pages, throughput, import; then a table.

    python -m benchmarks.run [--only matching,pages,throughput,import] [--skip …]
        [--backends sqlite,postgresql] [--requests 50] [--seed 2026] [--rebuild] [--profile]
        [--sizes 10000,50000,100000]

`make bench BENCH_ARGS="--only pages"` passes options through. Each part writes its own
section of benchmarks/results.json ("rank_ms", "pages", "throughput", "import", and
"large_data" when the large data set was built) and keeps the others; the table is read back
from that file, so it also shows the parts skipped this time, from their last run (marked as
such).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

from benchmarks import bench_import, bench_pages, bench_throughput
from benchmarks.bench_pages import (
    MAIN_PAGES,
    NEW_PAGES,
    OTHER_PAGES,
    RESULTS,
    TARGET_P95_MS,
    TARGET_QUERIES,
    save,
)

PARTS = ("matching", "pages", "throughput", "import")
TARGET_RANK_P95_MS = 100


def run_matching(args) -> None:
    """bench_matching in its own process: it builds and drops its own rosters."""
    cmd = [sys.executable, "-m", "benchmarks.bench_matching", "--backends", args.backends]
    if args.sizes:
        cmd += ["--sizes", args.sizes]
    subprocess.run(cmd, check=True)  # noqa: S603


def _cell(r: dict | None) -> str:
    """A page's p50 / p95 and statements in the table, or a dash when not measured."""
    if not r:
        return f"{'—':>30}"
    return f"{r['p50_ms']:>9.1f} / {r['p95_ms']:>7.1f}  {r['queries']:>3} q   "


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def table(ran: set[str]) -> str:
    """The results as text, with each target and whether it is met."""
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    lines = []

    def stale(part: str) -> str:
        return "" if part in ran else "  (from an earlier run)"

    if rank := data.get("rank_ms"):
        lines.append(
            f"rank_engineers, 100,000 engineers (target p95 < {TARGET_RANK_P95_MS} ms)"
            f"{stale('matching')}"
        )
        for backend, by_size in rank.items():
            if r := by_size.get("100000"):
                ok = r["p95"] < TARGET_RANK_P95_MS
                lines.append(
                    f"  {backend:<11} p50 {r['p50']:>7.1f} ms   p95 {r['p95']:>7.1f} ms"
                    f"   {_mark(ok)}"
                )
    if rank := data.get("rank_large_ms"):
        lines.append(f"rank_engineers on the large data's first 25 open requests (realistic "
                     f"profiles){stale('pages')}")  # fmt: skip
        for backend, r in sorted(rank.items(), key=lambda item: item[0] != "sqlite"):
            ok = r["p95"] < TARGET_RANK_P95_MS
            lines.append(f"  {backend:<11} p50 {r['p50']:>7.1f} ms   p95 {r['p95']:>7.1f} ms"
                         f"   {_mark(ok)}")  # fmt: skip
    if pages := data.get("pages"):
        backends = sorted(pages, key=lambda b: (b != "sqlite", b))  # the targets are SQLite's
        lines.append("")
        lines.append(
            f"pages, large data: server time p50 / p95 in ms, queries per request "
            f"(targets on main pages: SQLite p95 < {TARGET_P95_MS} ms, "
            f"<= {TARGET_QUERIES} queries){stale('pages')}"
        )
        header = f"  {'page':<18}" + "".join(f"{b:>30}" for b in backends) + "   targets"
        lines.append(header)
        for page in (*MAIN_PAGES, *OTHER_PAGES, *NEW_PAGES):
            cells, ok = [], True
            for backend in backends:
                r = pages[backend].get(page)
                if r is None:
                    cells.append(f"{'—':>30}")
                    continue
                cells.append(_cell(r))
                # The money, interview and API pages' budget holds on every database.
                if backend == "sqlite" or page in NEW_PAGES:
                    ok = ok and r["p95_ms"] < TARGET_P95_MS
                ok = ok and r["queries"] <= TARGET_QUERIES
            verdict = _mark(ok) if page in MAIN_PAGES + NEW_PAGES else "(not a main page)"
            lines.append(f"  {page:<18}" + "".join(cells) + f"   {verdict}")
            after = [pages[b].get(page, {}).get("first_view_after_write") for b in backends]
            if any(after):
                # Shared results kept until a write (tracker.infra.cache): the first view after one.
                cells = [_cell(a) for a in after]
                ok = bool(after[0]) and after[0]["p95_ms"] < TARGET_P95_MS
                if page in NEW_PAGES:  # the API lists' budget holds on every database
                    ok = ok and all(a["p95_ms"] < TARGET_P95_MS for a in after if a)
                ok = ok and all(a["queries"] <= TARGET_QUERIES for a in after if a)
                lines.append(f"  {'  after any write':<18}" + "".join(cells) + f"   {_mark(ok)}")
                # Everyday writes renew only their tables: the first view after each.
                typical = [pages[b].get(page, {}).get("first_view_after", {}) for b in backends]
                for write in dict.fromkeys(w for t in typical for w in t):
                    found = [t.get(write) for t in typical]
                    cells = [_cell(a) for a in found]
                    ok = bool(found[0]) and found[0]["p95_ms"] < TARGET_P95_MS
                    lines.append(f"  {'    ' + write:<18}" + "".join(cells) + f"   {_mark(ok)}")
    if (t := data.get("throughput")) and "bare_flask_rps" in t:
        lines.append("")
        lines.append(
            f"throughput, requests/s through {t.get('server', 'gunicorn')}; "
            f"{t.get('load', 'wrk')}{stale('throughput')}"
        )
        bare_cpu = t["bare_flask"].get("cpu_ms_per_request") or []
        cpu = f"   {sum(bare_cpu) / len(bare_cpu):6.2f} ms CPU a request" if bare_cpu else ""
        lines.append(f"  {'bare Flask':<20} {t['bare_flask_rps']:>8.1f} req/s{cpu}")
        # The pages first, then the API's lists; the CPU figures move less from run to run.
        for name, p in sorted(t["pages"].items(), key=lambda item: item[0].startswith("api_")):
            ok = p["ratio"] >= p["target"]
            cpu = ""
            if p.get("cpu_ms_per_request"):
                cpu = (f"   ({p['cpu_ms_per_request']:.2f} ms CPU a request, "
                       f"{p['cpu_ratio']:.3f} of bare Flask's)")  # fmt: skip
            lines.append(
                f"  {name:<20} {p['rps']:>8.1f} req/s   {p['ratio']:.3f} of bare Flask "
                f"(target >= {p['target']:.2f})   {_mark(ok)}{cpu}"
            )
    if rss := data.get("worker_rss_mb"):
        ok = rss["max"] <= rss["target"]
        lines.append("")
        lines.append(f"gunicorn worker memory (VmRSS) after {rss['after']}{stale('throughput')}")
        lines.append(
            f"  max {rss['max']:.1f} MB (workers: {', '.join(f'{mb:.1f}' for mb in rss['each'])})"
            f"   (target <= {rss['target']} MB)   {_mark(ok)}"
        )
    if imp := data.get("import"):
        ok = imp["wide_header_refused_ms"] <= 2 * imp["one_row_file_ms"]
        lines.append("")
        lines.append(f"CSV import, median ms{stale('import')}")
        lines.append(
            f"  one-row file {imp['one_row_file_ms']:.2f}   "
            f"{imp['wide_header_columns']:,}-column header refused "
            f"{imp['wide_header_refused_ms']:.2f}   (target: about the one-row file)   "
            f"{_mark(ok)}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated parts: {', '.join(PARTS)}")
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pages", default=",".join(MAIN_PAGES + OTHER_PAGES + NEW_PAGES))
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--seed", type=int, default=2026, help="of the large data set")
    parser.add_argument("--rebuild", action="store_true", help="build the large data afresh")
    parser.add_argument("--profile", action="store_true", help="profile pages over target")
    parser.add_argument("--sizes", help="roster sizes for bench_matching")
    bench_throughput.add_arguments(parser)
    args = parser.parse_args()
    parts = set(args.only.split(",")) if args.only else set(PARTS)
    parts -= set(filter(None, args.skip.split(",")))
    if unknown := parts - set(PARTS):
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    began = time.perf_counter()
    # Other work on the machine skews every figure: say how busy it was when this run began.
    save("environment", {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                         "started": time.strftime("%Y-%m-%d %H:%M:%S")})  # fmt: skip
    if "matching" in parts:
        run_matching(args)
    if "pages" in parts:
        bench_pages.run(
            args.backends.split(","),
            args.pages.split(","),
            args.requests,
            args.seed,
            args.rebuild,
            args.profile,
        )
    if "import" in parts:
        bench_import.run(5)
    if "throughput" in parts:
        # A rebuild for the pages already made the SQLite data; do not make it twice.
        bench_throughput.run(args.seed, args.rebuild and "pages" not in parts, args)
    print(
        f"\n{table(parts)}\n\nbenchmarks took {time.perf_counter() - began:.0f} s; "
        f"results in {RESULTS}"
    )


if __name__ == "__main__":
    main()
