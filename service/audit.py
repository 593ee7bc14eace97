"""The audit log: who changed what in an organisation's catalogue, and when."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AuditEvent


def record(
    session: Session,
    org: str,
    actor: str,
    action: str,
    entity: str,
    changes: Mapping[str, Any],
) -> None:
    """Add an event to the caller's transaction, so it exists exactly when the change does."""
    session.add(AuditEvent(org=org, actor=actor, action=action, entity=entity, changes=changes))


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """`{field: {"from": old, "to": new}}` for the fields that differ."""
    return {
        name: {"from": before.get(name), "to": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def events(
    session: Session,
    org: str,
    *,
    entity: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> Sequence[AuditEvent]:
    """Newest first; page with `before_id` (the last id of the previous page)."""
    query = select(AuditEvent).where(AuditEvent.org == org)
    if entity is not None:
        query = query.where(AuditEvent.entity == entity)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)).all()
