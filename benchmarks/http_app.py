"""The service's own ASGI app plus benchmark-only routes.

* `GET /noop` answers from the same app, worker and server settings as the real routes, so
  "recommend / no-op" isolates what a recommendation costs beyond HTTP, routing and JSON. Both
  routes go first in the route table (see the end of `create`).
* `POST /bench/unranked` is `POST /v1/recommendations` without the ranking: the same body
  parsing and validation, key check, snapshot and response items, around the list ranked for
  its first request. It is what the route would cost with a ranker that took no time, so beside
  the real route it splits a request's cost between the HTTP shell and the ranker.
* `GET /bench/noop-last` is `/noop` at the end of the route table, to price routing.

None is ever part of the service: uvicorn loads this module as
`benchmarks.http_app:create --factory`.
"""

from __future__ import annotations

from fastapi import FastAPI

from recommender.ranker import Recommendation
from service.app import create_app
from service.deps import RecommenderSnapshot
from service.routes.recommendations import recommended_items
from service.schemas import RecommendationRequest, RecommendationResponse
from service.settings import Settings


def create(settings: Settings | None = None) -> FastAPI:
    app = create_app(settings or Settings())

    @app.get("/noop", include_in_schema=False)
    async def noop() -> dict[str, str]:
        return {"status": "ok"}

    ranked: list[Recommendation] = []

    @app.post("/bench/unranked", include_in_schema=False)
    async def unranked(
        body: RecommendationRequest, snapshot: RecommenderSnapshot
    ) -> RecommendationResponse:
        if not ranked:
            ranked.extend(snapshot.ranker.rank(body, limit=body.limit))
        return RecommendationResponse(profile=body.id, items=recommended_items(snapshot, ranked))

    # FastAPI tries routes in order, about a microsecond each: added last, behind the API and
    # every web page, these two would pay ~95 µs of routing per request that
    # /v1/recommendations, the first route of the API, does not. First, they pay least.
    added = app.router.routes[-2:]
    del app.router.routes[-2:]
    app.router.routes[:0] = added

    @app.get("/bench/noop-last", include_in_schema=False)
    async def noop_last() -> dict[str, str]:
        """`/noop` behind every other route: the difference is what routing costs."""
        return {"status": "ok"}

    return app
