"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy.orm import Session

from service import api, problems, store
from service.db import make_engine
from service.settings import Settings
from service.snapshot import Snapshot, load_snapshot


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        engine = make_engine(settings.db_url)
        try:
            if settings.seed:
                with Session(engine) as session, session.begin():
                    store.seed_if_empty(session)
            with Session(engine) as session:
                snapshot = load_snapshot(session, settings.models_dir)
            yield {"snapshot": snapshot, "engine": engine}
        finally:
            engine.dispose()

    app = FastAPI(
        title="cpdrec",
        version=version("cpdrec"),
        summary="Recommends CPD activities that close digital-capability gaps.",
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(api.router)

    @app.get("/healthz", tags=["health"])
    def healthz(request: Request) -> dict[str, Any]:
        snapshot: Snapshot = request.state.snapshot
        return {
            "status": "ok",
            "frameworks": len(snapshot.frameworks),
            "activities": len(snapshot.activities),
        }

    return app
