"""Repository: every query on the catalogue store, so endpoints and commands stay thin."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

import catalogue
from recommender.activities import Activity, load_catalogue
from recommender.frameworks import Framework, by_id, load_frameworks
from service.db import ActivityRow, FrameworkRow


def frameworks(session: Session) -> list[Framework]:
    rows = session.scalars(select(FrameworkRow).order_by(FrameworkRow.id))
    return [Framework.model_validate(row.document) for row in rows]


def activities(session: Session) -> list[Activity]:
    rows = session.scalars(select(ActivityRow).order_by(ActivityRow.id))
    return [
        Activity.model_validate(
            {
                "id": r.id,
                "title": r.title,
                "description": r.description,
                "format": r.format,
                "duration_hours": r.duration_hours,
                "cost": r.cost,
                "provider": r.provider,
                "url": r.url,
                "tags": r.tags,
            }
        )
        for r in rows
    ]


def upsert_frameworks(session: Session, items: Sequence[Framework]) -> None:
    for framework in items:
        session.merge(FrameworkRow(id=framework.id, document=framework.to_document()))


def upsert_activities(session: Session, items: Sequence[Activity]) -> tuple[int, int]:
    """Insert new activities and replace existing ones by id; returns (created, updated)."""
    existing = set(
        session.scalars(select(ActivityRow.id).where(ActivityRow.id.in_([a.id for a in items])))
    )
    for activity in items:
        data = activity.model_dump(mode="json")
        session.merge(ActivityRow(**data))
    updated = len(existing)
    return len(items) - updated, updated


def seed_if_empty(session: Session) -> bool:
    """Load the shipped frameworks and starter catalogue into an empty store."""
    if session.scalar(select(FrameworkRow.id).limit(1)) is not None:
        return False
    shipped = load_frameworks(catalogue.framework_files())
    upsert_frameworks(session, shipped)
    upsert_activities(session, load_catalogue(catalogue.STARTER_CATALOGUE, by_id(shipped)))
    return True
