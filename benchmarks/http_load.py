"""HTTP throughput and latency of the real server under bounded load (issue 3, item 7).

One uvicorn worker serves `benchmarks.http_app` (the service plus `GET /noop`) from a data
folder holding a synthetic 1k-activity catalogue. `wrk` (one thread; the server has the other
core) drives, in turn:

1. `GET /noop` at saturation;
2. `POST /v1/recommendations` at saturation, rotating through 256 synthetic profiles, each
   request carrying an API key (`cpdrec keys create`);
3. `POST /bench/unranked` at saturation: the recommend route without the ranking (see
   `benchmarks/http_app.py`), i.e. the best that route could do with a ranker taking no time;
4. `POST /v1/recommendations` at half the throughput measured in 2: each of 8 connections
   waits an exponential think time before its next request (wrk's `delay()` hook), which paces
   the load without a second tool; wrk2's constant-rate mode is not packaged in Debian.

Ratios: recommend / no-op throughput, and recommend / the additive ceiling
1 / (t_no-op + t_kernel), with t_no-op = 1 / no-op throughput and t_kernel the bare kernel's
time for one profile on the same catalogue, measured in process in the same run. The server's
own CPU seconds per request are reported too: on a shared machine they move much less than
throughput does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.kernel import top_k
from benchmarks.report import Row, ms, us
from benchmarks.server import (
    DataDir,
    Server,
    auth_headers,
    free_port,
    post_json,
    prepare,
    start,
    uvicorn_command,
)
from benchmarks.synthetic import Synthetic
from recommender.ranker import GapRanker

PART = "http"
CEILING_TARGET = 0.85
NOOP_RATIO_TARGET = 0.45
HALF_LOAD_P99_TARGET = 0.025


@dataclass(frozen=True)
class Plan:
    n_activities: int = 1_000
    seconds: int = 20
    connections: int = 16
    half_load_connections: int = 8
    seed: int = 0

    @classmethod
    def quick(cls) -> Plan:
        return cls(n_activities=200, seconds=2, connections=4, half_load_connections=2)


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p50: float
    p99: float
    errors: int
    server_cpu: float  # server CPU seconds used during the run

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_per_request(self) -> float:
        return self.server_cpu / max(1, self.requests)


_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def lua_script(
    method: str, path: str, headers: dict[str, str], bodies: list[str], mean_delay_ms: float
) -> str:
    """A wrk script: rotate through `bodies`, optionally pace each connection, print JSON."""
    quoted = ", ".join(f"[==[{b}]==]" for b in bodies) if bodies else "nil"
    header_table = ", ".join(f'["{k}"] = [==[{v}]==]' for k, v in headers.items())
    lines = [
        f"local bodies = {{{quoted}}}",
        f"local headers = {{{header_table}}}",
        "local i = 0",
        "request = function()",
        "  i = i + 1",
        f'  return wrk.format("{method}", "{path}", headers, bodies[(i % #bodies) + 1])'
        if bodies
        else f'  return wrk.format("{method}", "{path}", headers)',
        "end",
    ]
    if mean_delay_ms > 0:
        lines += [
            "delay = function()",
            f"  return -math.log(1 - math.random()) * {mean_delay_ms:.3f}",
            "end",
        ]
    return "\n".join(lines) + _DONE


def wrk(server: Server, script: str, *, seconds: int, connections: int, workdir: Path) -> Load:
    path = workdir / "load.lua"
    path.write_text(script, "utf-8")
    cpu0 = server.cpu_seconds()
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(path),
         server.base],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    )  # fmt: skip
    cpu = server.cpu_seconds() - cpu0
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Load(
        result["requests"],
        result["duration_us"] / 1e6,
        result["p50_us"] / 1e6,
        result["p99_us"] / 1e6,
        result["errors"],
        cpu,
    )


def kernel_seconds(synthetic: Synthetic, n_activities: int, profiles: int = 500) -> float:
    """Mean time of the bare kernel for one profile over the same catalogue, in process."""
    ranker = GapRanker().fit([synthetic.framework], synthetic.activities(n_activities))
    queries = [ranker.query_vector(p) for p in synthetic.profiles(profiles)]
    for q in queries[:50]:
        top_k(ranker.items_, q, 5)
    started = time.thread_time()
    for q in queries:
        top_k(ranker.items_, q, 5)
    return (time.thread_time() - started) / len(queries)


def run(plan: Plan) -> list[Row]:
    if shutil.which("wrk") is None:
        return [Row(PART, "all", "skipped", "wrk not installed (apt-get install -y wrk)")]
    synthetic = Synthetic.make(plan.seed)
    with tempfile.TemporaryDirectory(prefix="cpdrec-bench-") as tmp:
        data = prepare(Path(tmp), synthetic, plan.n_activities)
        port = free_port()
        server = start(uvicorn_command(port), data.env, port)
        try:
            return _measure(plan, synthetic, data, server, Path(tmp))
        finally:
            server.stop()


def _measure(
    plan: Plan, synthetic: Synthetic, data: DataDir, server: Server, tmp: Path
) -> list[Row]:
    headers = {"Content-Type": "application/json", **auth_headers(data.key)}
    bodies = [
        json.dumps({**p.model_dump(mode="json", exclude_none=True), "limit": 5})
        for p in synthetic.profiles(256, seed=1)
    ]
    status, reply = post_json(  # the first request fits the organisation's ranker
        f"{server.base}/v1/recommendations", json.loads(bodies[0]), auth_headers(data.key)
    )
    if status != 200:
        raise RuntimeError(f"recommendation request failed: {status} {reply}")
    warm = lua_script("POST", "/v1/recommendations", headers, bodies, 0)
    wrk(server, warm, seconds=2, connections=plan.connections, workdir=tmp)
    noop = wrk(
        server,
        lua_script("GET", "/noop", headers, [], 0),
        seconds=plan.seconds,
        connections=plan.connections,
        workdir=tmp,
    )
    rec = wrk(server, warm, seconds=plan.seconds, connections=plan.connections, workdir=tmp)
    unranked = wrk(
        server,
        lua_script("POST", "/bench/unranked", headers, bodies, 0),
        seconds=plan.seconds,
        connections=plan.connections,
        workdir=tmp,
    )
    half_rate = rec.throughput / 2
    c = plan.half_load_connections
    think = max(0.0, c / half_rate - 1 / rec.throughput) * 1e3
    half = wrk(
        server,
        lua_script("POST", "/v1/recommendations", headers, bodies, think),
        seconds=plan.seconds,
        connections=c,
        workdir=tmp,
    )
    t_kernel = kernel_seconds(synthetic, plan.n_activities)
    return _rows(plan, noop, rec, half, t_kernel, server) + _unranked_rows(
        plan, noop, rec, unranked, t_kernel
    )


def additive_ceiling(noop: Load, t_kernel: float) -> float:
    """The issue's ceiling throughput, 1 / (t_no-op + t_kernel): a request costing no more
    than the no-op plus the bare kernel."""
    return 1 / (1 / noop.throughput + t_kernel)


def _unranked_rows(plan: Plan, noop: Load, rec: Load, unranked: Load, t_kernel: float) -> list[Row]:
    """The recommend route without its ranking: what the HTTP shell alone costs, the share of
    a recommendation's server CPU that is ranking, and the best ceiling ratio a ranker taking
    no time at all would reach."""
    case = f"POST /bench/unranked (the route without ranking), saturated, {plan.connections} conns"
    ceiling = additive_ceiling(noop, t_kernel)
    ranking = (rec.cpu_per_request - unranked.cpu_per_request) / rec.cpu_per_request
    return [
        Row(PART, case, "throughput", f"{unranked.throughput:,.0f} req/s"),
        Row(PART, case, "p50 / p99", f"{ms(unranked.p50)} / {ms(unranked.p99)}"),
        Row(PART, case, "server CPU per request", us(unranked.cpu_per_request)),
        Row(PART, case, "unranked / no-op throughput",
            f"{unranked.throughput / noop.throughput:.2f}"),
        Row(PART, case, "unranked / ceiling (a ranker taking no time)",
            f"{unranked.throughput / ceiling:.2f}"),
        Row(PART, case, "ranking's share of recommend's server CPU", f"{ranking:.0%}"),
        Row(PART, case, "errors", f"{unranked.errors} of {unranked.requests:,}", "0",
            unranked.errors == 0),
    ]  # fmt: skip


def _rows(
    plan: Plan, noop: Load, rec: Load, half: Load, t_kernel: float, server: Server
) -> list[Row]:
    label = f"{plan.n_activities // 1000}k" if plan.n_activities >= 1000 else str(plan.n_activities)
    ceiling = additive_ceiling(noop, t_kernel)
    cpu_ceiling = noop.cpu_per_request + t_kernel
    rows = []
    for name, load in (("GET /noop", noop), ("POST /v1/recommendations", rec)):
        case = f"{name}, saturated, {plan.connections} conns"
        rows += [
            Row(PART, case, "throughput", f"{load.throughput:,.0f} req/s"),
            Row(PART, case, "p50 / p99", f"{ms(load.p50)} / {ms(load.p99)}"),
            Row(PART, case, "server CPU per request", us(load.cpu_per_request)),
            Row(PART, case, "errors", f"{load.errors} of {load.requests:,}", "0", load.errors == 0),
        ]
    case = f"recommend, {label} activities"
    rows += [
        Row(
            PART,
            case,
            "recommend / no-op throughput",
            f"{rec.throughput / noop.throughput:.2f}",
            f"≥ {NOOP_RATIO_TARGET}",
            rec.throughput / noop.throughput >= NOOP_RATIO_TARGET,
        ),
        Row(
            PART,
            case,
            f"recommend / ceiling 1/(t_noop + t_kernel {us(t_kernel)})",
            f"{rec.throughput / ceiling:.2f}",
            f"≥ {CEILING_TARGET}",
            rec.throughput / ceiling >= CEILING_TARGET,
        ),
        Row(
            PART,
            case,
            "same, by server CPU per request",
            f"{cpu_ceiling / rec.cpu_per_request:.2f}",
        ),
        Row(
            PART,
            f"recommend at half saturation, {half.throughput:,.0f} req/s",
            "p50 / p99",
            f"{ms(half.p50)} / {ms(half.p99)}",
            f"p99 ≤ {HALF_LOAD_P99_TARGET * 1e3:g} ms",
            half.p99 <= HALF_LOAD_P99_TARGET,
        ),
        Row(
            PART,
            f"recommend at half saturation, {half.throughput:,.0f} req/s",
            "errors",
            f"{half.errors} of {half.requests:,}",
            "0",
            half.errors == 0,
        ),
        Row(
            PART,
            f"server, {label} activities",
            "start-up to healthy",
            f"{server.startup_seconds:.2f} s",
        ),
    ]
    return rows
