"""Result rows and the one table every part of the suite prints."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    """One measured figure, with the target it is held against (if any)."""

    part: str
    case: str
    figure: str
    value: str
    target: str = ""
    met: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("ok" if self.met else "MISSED")

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "verdict": self.verdict}


HEADER = ("part", "case", "figure", "value", "target", "verdict")


def table(rows: list[Row], *, markdown: bool = False) -> str:
    cells = [HEADER, *[(r.part, r.case, r.figure, r.value, r.target, r.verdict) for r in rows]]
    if markdown:
        lines = ["| " + " | ".join(c) + " |" for c in cells]
        lines.insert(1, "|" + "---|" * len(HEADER))
        return "\n".join(lines)
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip() for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def rss_mb() -> float:
    """Current resident set size of this process in MB (Linux)."""
    return rss_of(os.getpid())


def rss_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/statm").read_text().split()
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


class Stopwatch:
    """Wall and CPU (this process) time of a block: `with Stopwatch() as sw: ...`."""

    def __enter__(self) -> Stopwatch:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
