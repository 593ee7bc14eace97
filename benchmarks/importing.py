"""Import, tag inference, start-up and memory at 10k activities (issue 3, item 8).

* Fitting the shipped ranker (`make_ranker`, tag inference on) on a 10k-activity CSV of which
  a third is untagged, in process, and `cpdrec catalogue tag` on the same files end to end.
* `cpdrec serve` over a data folder holding that catalogue, with the artifact the fit above
  cached: timed from spawn to a healthy `/healthz` and to the first recommendation, then
  resident memory after 200 recommendations.

The catalogue is imported into the open-access `local` organisation, which also sees the
95-activity shared starter catalogue, so the served catalogue has 10,095 activities.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.report import Row, Stopwatch, rss_of
from benchmarks.server import auth_headers, free_port, post_json, prepare, start
from benchmarks.server import run as run_command
from benchmarks.synthetic import Synthetic
from recommender.activities import load_catalogue
from recommender.frameworks import by_id

PART = "import"
FIT_TARGET = 15.0
STARTUP_TARGET = 3.0
RSS_TARGET = 300.0


@dataclass(frozen=True)
class Plan:
    n_activities: int = 10_000
    untagged_share: float = 1 / 3
    requests: int = 200
    seed: int = 0

    @classmethod
    def quick(cls) -> Plan:
        return cls(n_activities=300, requests=20)


_FIT = """
import json, sys, time
from pathlib import Path
from recommender import make_ranker
from recommender.persistence import fingerprint, load_or_fit, save
from service import store
from service.cli.common import store_session
with store_session() as session:
    owner = store.organisation(session, sys.argv[1])
    frameworks = store.frameworks(session, owner)
    activities = store.activities(session, owner)
ranker = make_ranker()
key = fingerprint(frameworks, activities, ranker.get_params(deep=True))
cpu, wall = time.process_time(), time.perf_counter()
ranker.fit(frameworks, activities)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
save(ranker, Path(sys.argv[2]), key)
load = time.perf_counter()
load_or_fit(Path(sys.argv[2]), frameworks, activities, make_ranker)  # what a start-up does
load = time.perf_counter() - load
untagged = len(ranker.inferred_tags_)
tagged = sum(1 for tags in ranker.inferred_tags_.values() if tags)
print(json.dumps({"wall": wall, "cpu": cpu, "activities": len(activities), "load": load,
                  "untagged": untagged, "got_tags": tagged}))
"""


def run(plan: Plan) -> list[Row]:
    synthetic = Synthetic.make(plan.seed)
    label = f"{plan.n_activities:,} activities, {plan.untagged_share:.0%} untagged"
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="cpdrec-bench-") as tmp:
        data = prepare(
            Path(tmp),
            synthetic,
            plan.n_activities,
            untagged_share=plan.untagged_share,
            org="local",
            with_key=False,
        )
        framework_file, catalogue_file = data.root / "framework.json", data.root / "catalogue.csv"
        with Stopwatch() as parse:
            load_catalogue(catalogue_file, by_id([synthetic.framework]))
        # the served inputs (the CSV plus the 95 shared activities), fitted as the server
        # would, and cached where it looks: the warm start below loads this artifact
        fitted = json.loads(
            run_command(
                [sys.executable, "-c", _FIT, "local", data.env["CPDREC_MODELS_DIR"]], data.env
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        rows += [
            Row(
                PART,
                label,
                "`cpdrec catalogue import`",
                f"{data.seconds['catalogue import']:.1f} s",
            ),
            Row(PART, label, "read and validate the CSV", f"{parse.wall:.2f} s"),
            Row(
                PART,
                f"{fitted['activities']:,} served activities, {fitted['untagged']:,} untagged",
                "make_ranker().fit (tag inference on)",
                f"{fitted['wall']:.1f} s (CPU {fitted['cpu']:.1f} s); "
                f"{fitted['got_tags']:,} untagged got tags",
                f"≤ {FIT_TARGET:g} s",
                fitted["wall"] <= FIT_TARGET,
            ),
        ]
        rows.append(
            Row(
                PART,
                f"{fitted['activities']:,} served activities",
                "load_or_fit from the cached artifact",
                f"{fitted['load']:.2f} s",
            )
        )
        started = time.perf_counter()
        tagged = run_command(
            [sys.executable, "-m", "service.cli", "catalogue", "tag",
             "--framework", str(framework_file), "--catalogue", str(catalogue_file)],
            data.env,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        lines = len(tagged.stdout.splitlines())
        rows.append(
            Row(
                PART,
                label,
                "`cpdrec catalogue tag`, end to end",
                f"{seconds:.1f} s ({lines:,} lines)",
                f"≤ {FIT_TARGET:g} s",
                seconds <= FIT_TARGET,
            )
        )
        rows += _serve(plan, synthetic, data.env, label)
    return rows


def _serve(plan: Plan, synthetic: Synthetic, env: dict[str, str], label: str) -> list[Row]:
    """Start `cpdrec serve` on the cached artifact; time it, then measure its memory."""
    body = next(synthetic.profiles(1, seed=2)).model_dump(mode="json", exclude_none=True)
    models = Path(env["CPDREC_MODELS_DIR"])
    artifacts = set(models.glob("*.joblib"))
    port = free_port()
    cmd = [sys.executable, "-m", "service.cli", "serve", "--port", str(port)]
    server = start(cmd, env, port, timeout=600)
    case = "`cpdrec serve`, cached artifact"
    try:
        started = time.perf_counter()
        status, _ = post_json(f"{server.base}/v1/recommendations", body, auth_headers(None))
        first = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"recommendation failed with {status}")
        for _ in range(plan.requests):
            post_json(f"{server.base}/v1/recommendations", body, auth_headers(None))
        rss = rss_of(server.process.pid)
    finally:
        server.stop()
    rows = [
        Row(
            PART,
            case,
            "spawn → healthy /healthz",
            f"{server.startup_seconds:.2f} s",
            f"≤ {STARTUP_TARGET:g} s",
            server.startup_seconds <= STARTUP_TARGET,
        ),
        Row(PART, case, "then first recommendation", f"{first:.2f} s"),
        Row(
            PART,
            f"`cpdrec serve`, {label} (+95 shared)",
            f"RSS after {plan.requests} recommendations",
            f"{rss:.0f} MB",
            f"≤ {RSS_TARGET:g} MB",
            rss <= RSS_TARGET,
        ),
    ]
    if set(models.glob("*.joblib")) != artifacts:  # the server did not find the artifact
        rows.append(Row(PART, case, "artifact used", "no: the server refitted", "yes", False))
    return rows
