"""The /v1 API: one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from service.routes import (
    activities,
    assessments,
    audit,
    catalogue,
    feedback,
    frameworks,
    recommendations,
    reports,
    subjects,
)

router = APIRouter(prefix="/v1")
for module in (
    recommendations,
    frameworks,
    assessments,
    subjects,
    feedback,
    reports,
    activities,
    catalogue,
    audit,
):
    router.include_router(module.router)
