"""The service's own ASGI app plus `GET /noop`, for benchmarks only.

The no-op route answers from the same app, worker and server settings as the real routes, so
"recommend / no-op" isolates what a recommendation costs beyond HTTP, routing and JSON. It is
never part of the service: uvicorn loads it as `benchmarks.http_app:create --factory`.
"""

from __future__ import annotations

from fastapi import FastAPI

from service.app import create_app
from service.settings import Settings


def create() -> FastAPI:
    app = create_app(Settings())

    @app.get("/noop", include_in_schema=False)
    async def noop() -> dict[str, str]:
        return {"status": "ok"}

    return app
