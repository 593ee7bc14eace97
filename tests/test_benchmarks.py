"""The benchmark suite still runs: its in-process part at a tiny size (figures not checked)."""

from __future__ import annotations

import math
import re

from benchmarks import app, inprocess
from benchmarks.http_load import lua_script
from benchmarks.report import table
from benchmarks.synthetic import LEVELS, N_STRANDS, Synthetic
from recommender.ranker import GapRanker


def test_in_process_part_runs_and_reports_every_figure() -> None:
    rows = inprocess.run(inprocess.Plan.quick())
    figures = {row.figure for row in rows}
    assert {"rank p50 / p99", "bare kernel p50 / p99", "rank / kernel (CPU time)"} <= figures
    assert any(f.startswith("RSS after") for f in figures)  # the whole batch was consumed
    for row in rows:
        if row.figure.startswith("rank / kernel") or "chunked kernel (CPU)" in row.figure:
            ratio = float(row.value.rstrip("×"))
            assert math.isfinite(ratio) and ratio > 0
    assert "rank / kernel (CPU time)" in table(rows)


def test_app_part_drives_every_route_it_reports() -> None:
    """The in-process app part answers each route with the expected status (it raises
    otherwise), and reports every figure; the figures themselves are not checked."""
    rows = app.run(app.Plan.quick())
    assert [r.case.split(",")[0].split(" (")[0] for r in rows[:4]] == [
        "GET /noop",
        "GET /bench/noop-last",
        "POST /bench/unranked",
        "POST /v1/recommendations",
    ]
    for row in rows[:4]:
        assert re.fullmatch(r"\d+ µs", row.value) and int(row.value.split()[0]) > 0
    assert 0 < float(rows[-1].value) < 10


def test_synthetic_data_is_seeded_and_valid() -> None:
    a, b = Synthetic.make(3), Synthetic.make(3)
    assert a.framework == b.framework
    assert len(a.framework.strands) == N_STRANDS and a.framework.level_ids == LEVELS
    assert a.activities(50, untagged_share=0.3) == b.activities(50, untagged_share=0.3)
    untagged = [x for x in a.activities(300, untagged_share=1 / 3) if not x.tags]
    assert 60 < len(untagged) < 140
    profiles = list(a.profiles(20))
    assert profiles == list(b.profiles(20))
    assert all(p.levels and p.framework == a.framework.id for p in profiles)


def test_wrk_script_carries_bodies_headers_and_pacing() -> None:
    script = lua_script(
        "POST", "/v1/recommendations", {"Authorization": "Bearer k"}, ['{"a": 1}'], 12.5
    )
    assert '{"a": 1}' in script and "Bearer k" in script
    assert re.search(r"delay = function\(\)", script) and "12.500" in script
    assert "delay" not in lua_script("GET", "/noop", {}, [], 0)


def test_the_batched_path_measured_returns_what_rank_returns() -> None:
    synthetic = Synthetic.make(1)
    ranker = GapRanker().fit([synthetic.framework], synthetic.activities(400))
    profiles = list(synthetic.profiles(150))  # over two batches, with queries and constraints
    batched = [[r.to_dict() for r in recs] for recs in ranker.rank_many(profiles, 7)]
    assert batched == [[r.to_dict() for r in ranker.rank(p, 7)] for p in profiles]
    assert sum(1 for recs in batched if recs) > 100
