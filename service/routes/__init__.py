"""The /v1 API: one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from service.routes import activities, audit, catalogue, frameworks, recommendations

router = APIRouter(prefix="/v1")
for module in (recommendations, frameworks, activities, catalogue, audit):
    router.include_router(module.router)
