"""The app alone: CPU per request of the ASGI application, in process, without uvicorn or a
socket (issue 3, items 7 and 9).

The HTTP part's figures include the server, the loopback and the load generator sharing two
cores; these do not, so they move little from run to run and show where a request's time goes
inside the app: routing, the recommend route's parsing, key check and response, and ranking.
The app is `benchmarks.http_app` (the service plus its benchmark-only routes) over a data
folder like the HTTP part's, its lifespan run as uvicorn would run it.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.http_app import create
from benchmarks.report import Row, us
from benchmarks.server import auth_headers, prepare
from benchmarks.synthetic import Synthetic
from service.settings import Settings

PART = "app"
Message = MutableMapping[str, Any]


@dataclass(frozen=True)
class Plan:
    n_activities: int = 1_000
    requests: int = 5_000
    seed: int = 0

    @classmethod
    def quick(cls) -> Plan:
        return cls(n_activities=200, requests=200)


def run(plan: Plan) -> list[Row]:
    synthetic = Synthetic.make(plan.seed)
    with tempfile.TemporaryDirectory(prefix="cpdrec-bench-") as tmp:
        data = prepare(Path(tmp), synthetic, plan.n_activities)
        settings = Settings(
            data_dir=Path(data.env["CPDREC_DATA_DIR"]),
            models_dir=Path(data.env["CPDREC_MODELS_DIR"]),
        )
        headers = [
            (b"content-type", b"application/json"),
            *((k.lower().encode(), v.encode()) for k, v in auth_headers(data.key).items()),
        ]
        bodies = [
            json.dumps({**p.model_dump(mode="json", exclude_none=True), "limit": 5}).encode()
            for p in synthetic.profiles(256, seed=1)
        ]
        return asyncio.run(_measure(plan, settings, headers, bodies))


async def _measure(
    plan: Plan, settings: Settings, headers: list[tuple[bytes, bytes]], bodies: list[bytes]
) -> list[Row]:
    app = create(settings)
    label = f"{plan.n_activities:,} activities"
    async with app.router.lifespan_context(app) as state:

        async def cpu(method: str, path: str, status: int) -> float:
            """CPU seconds per request, after a warm-up (the first fits the ranker)."""
            for i in range(20):
                await _call(app, state, method, path, headers, bodies[i % len(bodies)], status)
            started = time.process_time()
            for i in range(plan.requests):
                await _call(app, state, method, path, headers, bodies[i % len(bodies)], status)
            return (time.process_time() - started) / plan.requests

        noop = await cpu("GET", "/noop", 200)
        last = await cpu("GET", "/bench/noop-last", 200)
        unranked = await cpu("POST", "/bench/unranked", 200)
        recommend = await cpu("POST", "/v1/recommendations", 200)
    return [
        Row(PART, "GET /noop (first route)", "CPU per request", us(noop)),
        Row(PART, "GET /bench/noop-last (the same, behind every route)", "CPU per request",
            us(last)),
        Row(PART, f"POST /bench/unranked, {label}", "CPU per request", us(unranked)),
        Row(PART, f"POST /v1/recommendations, {label}", "CPU per request", us(recommend)),
        Row(PART, f"POST /v1/recommendations, {label}", "of which ranking (vs unranked)",
            f"{(recommend - unranked) / recommend:.0%}"),
        Row(PART, f"POST /v1/recommendations, {label}", "no-op / recommend",
            f"{noop / recommend:.2f}"),
    ]  # fmt: skip


async def _call(
    app: Callable[[Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                  Awaitable[None]],
    state: Any,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    status: int,
) -> None:  # fmt: skip
    """One request through the ASGI interface, as uvicorn would make it."""
    scope: Message = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": dict(state),
    }  # fmt: skip
    sent = False
    answered: list[int] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:  # the request is over: wait for a disconnect that never comes
            await asyncio.Event().wait()
        sent = True
        return {
            "type": "http.request",
            "body": body if method == "POST" else b"",
            "more_body": False,
        }

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answered.append(message["status"])

    await app(scope, receive, send)
    if answered != [status]:
        raise RuntimeError(f"{method} {path} answered {answered}, expected {status}")
