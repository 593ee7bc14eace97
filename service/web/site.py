"""Mounting the web pages, their static files and their error pages on the app."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from service.web import (
    account,
    catalogue_import,
    coordinator,
    heatmaps,
    people,
    practitioner,
    tag_review,
    targets,
)

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Pages at `/`; they are not part of the API, so OpenAPI does not list them."""
    router = APIRouter(include_in_schema=False)
    for module in (
        account,
        practitioner,
        coordinator,
        catalogue_import,
        tag_review,
        heatmaps,
        people,
        targets,
    ):
        router.include_router(module.router)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
