"""`python -m benchmarks [inprocess] [app] [http] [import] [--quick] [--markdown] [--json]`.

With no part named, every part runs (3-10 minutes on a 2-core machine, most of it fitting the
tagger at 10k activities) and one table is printed on standard output at the end; progress,
the run's date, commit and machine, and each part's rows as it finishes go to standard error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.report import Row, table

PARTS = {"inprocess": "inprocess", "app": "app", "http": "http_load", "import": "importing"}
"""Each part's module, imported only when it runs: the app part imports the whole service,
which would otherwise add ~37 MB to the in-process part's resident-memory figures."""


def run_part(name: str, quick: bool) -> list[Row]:
    module = importlib.import_module(f"benchmarks.{PARTS[name]}")
    rows: list[Row] = module.run(module.Plan.quick() if quick else module.Plan())
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("parts", nargs="*", metavar="PART", help=f"{', '.join(PARTS)} (all)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks, not figures")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--json", action="store_true", help="print one JSON object per row")
    args = parser.parse_args(argv)
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part {unknown[0]!r}; choose from {', '.join(PARTS)}")
    parts = args.parts or list(PARTS)
    print(header(), file=sys.stderr)
    rows: list[Row] = []
    started = time.perf_counter()
    for name in parts:
        part_rows = run_part(name, args.quick)
        print(table(part_rows), file=sys.stderr, flush=True)
        rows += part_rows
    if args.json:
        for row in rows:
            print(json.dumps(row.to_dict(), ensure_ascii=False))
    else:
        print(table(rows, markdown=args.markdown))
    print(f"total {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


def header() -> str:
    """Date, commit and machine, to paste above a table of figures."""
    root = Path(__file__).resolve().parent.parent
    commit = _git(root, "rev-parse", "--short", "HEAD") or "unknown"
    if _git(root, "status", "--porcelain", "--", "recommender", "service", "catalogue"):
        commit += " + uncommitted changes in recommender/, service/ or catalogue/"
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}, "
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


if __name__ == "__main__":
    sys.exit(main())
