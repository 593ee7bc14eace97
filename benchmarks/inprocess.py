"""In-process ranking speed against the bare kernel, on synthetic catalogues (issue 3, item 6).

Single profiles: each profile is ranked (five explained items) and then scored by the bare
kernel on the same data, alternately, so that a busy neighbour slows both alike. Latencies
are wall-clock; the ratio to the kernel uses CPU time of this thread, which other tenants of
a shared machine inflate much less.

Batches: `GapRanker.rank_many` over a stream of profiles, every result consumed and dropped as
a caller streaming JSON lines would, against the chunked kernel over the same profiles.
Resident memory is sampled along the way: flat means the stream holds nothing per profile.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from benchmarks.kernel import top_k, top_k_chunk
from benchmarks.report import Row, Stopwatch, rss_mb, us
from benchmarks.synthetic import Synthetic
from recommender import make_ranker
from recommender.profiles import GapProfile
from recommender.ranker import GapRanker

PART = "in-process"
LIMIT = 5
SINGLE_TARGET = 2.0  # one profile over 10k activities, explanations included, vs the kernel
BATCH_TARGET = 3.0  # a batch of profiles over 10k activities vs the chunked kernel
TARGET_SIZE = 10_000
CHUNKS = (16, 64, 256)


@dataclass(frozen=True)
class Setup:
    n_activities: int
    ranker: GapRanker
    profiles: list[GapProfile]  # a pool; longer streams cycle through it
    queries: NDArray[np.float64]  # the pool's unit query vectors (profiles × cells)
    fit_seconds: float


def setup(synthetic: Synthetic, n_activities: int, *, pool: int = 4096) -> Setup:
    activities = synthetic.activities(n_activities)
    with Stopwatch() as sw:
        ranker = make_ranker().fit([synthetic.framework], activities)
    profiles = list(synthetic.profiles(pool))
    queries = np.stack([ranker.query_vector(p) for p in profiles])
    return Setup(n_activities, ranker, profiles, queries, sw.wall)


def _label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def single(s: Setup, n_profiles: int) -> list[Row]:
    """Rank one profile at a time, interleaved with the kernel on the same profile."""
    items, ranker = s.ranker.items_, s.ranker
    n = min(n_profiles, len(s.profiles))
    wall = np.zeros((2, n))
    cpu = np.zeros((2, n))
    for i in range(min(50, n)):  # warm caches and lazily built state
        ranker.rank(s.profiles[i], LIMIT)
        top_k(items, s.queries[i], LIMIT)
    for i in range(n):
        for j in (0, 1):
            w0, c0 = time.perf_counter_ns(), time.thread_time_ns()
            if j == 0:
                ranker.rank(s.profiles[i], LIMIT)
            else:
                top_k(items, s.queries[i], LIMIT)
            cpu[j, i] = time.thread_time_ns() - c0
            wall[j, i] = time.perf_counter_ns() - w0
    wall, cpu = wall / 1e9, cpu / 1e9
    ratio = float(cpu[0].mean() / cpu[1].mean())
    case = f"1 profile, {_label(s.n_activities)} activities"
    target = f"≤ {SINGLE_TARGET:g}× kernel" if s.n_activities == TARGET_SIZE else ""
    return [
        Row(PART, case, "rank p50 / p99", _pair(wall[0])),
        Row(PART, case, "bare kernel p50 / p99", _pair(wall[1])),
        Row(PART, case, "rank profiles/s (1 core)", f"{1 / wall[0].mean():,.0f}"),
        Row(
            PART,
            case,
            "rank / kernel (CPU time)",
            f"{ratio:.2f}×",
            target,
            ratio <= SINGLE_TARGET if target else None,
        ),
        Row(
            PART,
            case,
            "rank / kernel (wall p50)",
            f"{np.median(wall[0]) / np.median(wall[1]):.2f}×",
        ),
    ]


def _pair(seconds: NDArray[np.float64]) -> str:
    return f"{us(float(np.percentile(seconds, 50)))} / {us(float(np.percentile(seconds, 99)))}"


def _stream(profiles: list[GapProfile], n: int) -> Iterator[GapProfile]:
    return itertools.islice(itertools.cycle(profiles), n)


def _best_chunk(s: Setup, n: int) -> int:
    """The kernel's fastest chunk size here, so the floor is not set by a poor choice."""
    timings = {}
    for chunk in CHUNKS:
        with Stopwatch() as sw:
            for start in range(0, n, chunk):
                top_k_chunk(s.ranker.items_, s.queries[start : start + chunk], LIMIT)
        timings[chunk] = sw.cpu
    return min(timings, key=timings.__getitem__)


def chunked_kernel(s: Setup, n_profiles: int, chunk: int) -> Stopwatch:
    pool = len(s.queries)
    with Stopwatch() as sw:
        for start in range(0, n_profiles, chunk):
            rows = np.arange(start, min(start + chunk, n_profiles)) % pool
            top_k_chunk(s.ranker.items_, s.queries[rows], LIMIT)
    return sw


def batch(s: Setup, n_profiles: int, *, time_limit: float = 120.0) -> list[Row]:
    """Stream `n_profiles` through `rank_many`, then the chunked kernel over the same ones."""
    checkpoints = {max(1, n_profiles // 10): 0.0, n_profiles: 0.0}
    done = 0
    deadline = time.perf_counter() + time_limit
    with Stopwatch() as sw:
        for recommendations in s.ranker.rank_many(_stream(s.profiles, n_profiles), LIMIT):
            done += 1
            del recommendations  # consumed and dropped, as a JSON-lines writer would
            if done in checkpoints:
                checkpoints[done] = rss_mb()
            if time.perf_counter() > deadline:
                break
    chunk = _best_chunk(s, min(2048, len(s.queries)))
    kernel = chunked_kernel(s, done, chunk)
    ratio = sw.cpu / kernel.cpu
    case = f"{done:,} profiles, {_label(s.n_activities)} activities"
    target = f"≤ {BATCH_TARGET:g}× chunked kernel" if s.n_activities == TARGET_SIZE else ""
    first, last = checkpoints[max(1, n_profiles // 10)], checkpoints[n_profiles]
    rows = [
        Row(PART, case, "rank_many wall / profiles/s", f"{sw.wall:.1f} s / {done / sw.wall:,.0f}"),
        Row(
            PART,
            case,
            f"chunked kernel (chunk {chunk}) wall",
            f"{kernel.wall:.1f} s / {done / kernel.wall:,.0f}",
        ),
        Row(
            PART,
            case,
            "rank_many / chunked kernel (CPU)",
            f"{ratio:.2f}×",
            target,
            ratio <= BATCH_TARGET if target else None,
        ),
    ]
    if done == n_profiles:
        growth = last - first
        rows.append(
            Row(
                PART,
                case,
                f"RSS after {n_profiles // 10:,} → {n_profiles:,} profiles",
                f"{first:.0f} → {last:.0f} MB ({growth:+.1f})",
                "flat (< 5 MB growth)",
                growth < 5,
            )
        )
    return rows


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    single_profiles: int = 2000
    batch_profiles: tuple[int, ...] = (20_000, 100_000, 10_000)  # the target case is 10k
    pool: int = 4096  # distinct profiles; longer streams cycle through them
    seed: int = 0

    @classmethod
    def quick(cls) -> Plan:
        return cls(sizes=(300,), single_profiles=200, batch_profiles=(2000,), pool=256)


def run(plan: Plan) -> list[Row]:
    synthetic = Synthetic.make(plan.seed)
    rows: list[Row] = []
    for n, n_batch in zip(plan.sizes, plan.batch_profiles, strict=True):
        s = setup(synthetic, n, pool=plan.pool)
        nnz = s.ranker.items_.nnz / max(1, n)
        rows.append(
            Row(
                PART,
                f"fit, {_label(n)} activities",
                "wall",
                f"{s.fit_seconds:.2f} s ({s.ranker.items_.shape[1]} cells, {nnz:.1f} tags/row)",
            )
        )
        rows += single(s, plan.single_profiles)
        rows += batch(s, n_batch)
        del s
    return rows
