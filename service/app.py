"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.orm import Session

from service import accounts, problems, routes, store
from service.db import make_engine
from service.deps import Access, SessionDep
from service.feedback import Boosters
from service.logs import redact_access_log
from service.models import LOCAL
from service.rankers import RankerPool
from service.settings import Settings
from service.web import site
from service.web.errors import problem_page


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        redact_access_log()  # here: after the server has configured its loggers
        engine = make_engine(settings.db_url)
        pool = RankerPool(engine, settings.models_dir)
        try:
            store.prepare(engine, settings.seed)
            with Session(engine) as session:
                open_access = settings.open_access and not accounts.any_key_exists(session)
            if open_access:
                pool.get(LOCAL)  # fitted before the first request, not during it
            pool.start_polling(settings.refresh_seconds)
            yield {
                "engine": engine,
                "pool": pool,
                "boosters": Boosters(settings.feedback_refresh_seconds),
                "access": Access(settings.key_secret(), open_access, settings.key_cache_seconds),
                "settings": settings,
            }
        finally:
            pool.close()
            engine.dispose()

    app = FastAPI(
        title="cpdrec",
        version=version("cpdrec"),
        summary="Recommends CPD activities that close digital-capability gaps.",
        lifespan=lifespan,
    )
    problems.install(app, pages=problem_page)
    routes.install(app)
    site.install(app)

    @app.get("/healthz", tags=["health"])
    def healthz(session: SessionDep) -> dict[str, str]:
        """Liveness and database reachability; needs no key."""
        session.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app
