"""The service's own ASGI app plus two benchmark-only routes.

* `GET /noop` answers from the same app, worker and server settings as the real routes, so
  "recommend / no-op" isolates what a recommendation costs beyond HTTP, routing and JSON.
* `POST /bench/recommend-inline` runs the real route's function on the event loop with the
  organisation's snapshot looked up directly: no API-key check, no database session, no
  thread-pool hop. Beside `POST /v1/recommendations` it shows what those cost.

Neither is ever part of the service: uvicorn loads this module as
`benchmarks.http_app:create --factory`; `CPDREC_BENCH_ORG` names the organisation.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request

from service.app import create_app
from service.deps import Principal
from service.rankers import RankerPool
from service.routes.recommendations import recommend
from service.schemas import RecommendationRequest, RecommendationResponse
from service.settings import Settings


def create() -> FastAPI:
    app = create_app(Settings())
    org = os.environ.get("CPDREC_BENCH_ORG", "local")
    caller = Principal(org, "benchmark", ("recommend",))

    @app.get("/noop", include_in_schema=False)
    async def noop() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/bench/recommend-inline", include_in_schema=False)
    async def recommend_inline(
        body: RecommendationRequest, request: Request
    ) -> RecommendationResponse:
        pool: RankerPool = request.state.pool
        return await recommend(body, pool.get(org), caller)

    return app
