"""`python -m benchmarks [inprocess] [http] [import] [--quick] [--markdown] [--json]`.

With no part named, every part runs (about 8 minutes on a 2-core machine) and one table is
printed at the end; each part also prints its rows as soon as it finishes.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import http_load, importing, inprocess
from benchmarks.report import Row, table

PARTS: dict[str, Callable[[bool], list[Row]]] = {
    "inprocess": lambda quick: inprocess.run(inprocess.Plan.quick() if quick else inprocess.Plan()),
    "http": lambda quick: http_load.run(http_load.Plan.quick() if quick else http_load.Plan()),
    "import": lambda quick: importing.run(importing.Plan.quick() if quick else importing.Plan()),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("parts", nargs="*", choices=[*PARTS, []], help="parts to run (all)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks, not figures")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--json", action="store_true", help="print one JSON object per row")
    args = parser.parse_args(argv)
    parts = args.parts or list(PARTS)
    print(header(), file=sys.stderr)
    rows: list[Row] = []
    started = time.perf_counter()
    for name in parts:
        part_rows = PARTS[name](args.quick)
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
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = "unknown"
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    import os

    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit or 'unknown'}, "
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    sys.exit(main())
