"""GET /v1/audit: who changed what in your organisation, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from service import audit
from service.deps import Curator, SessionDep
from service.problems import ERROR_RESPONSES, responses
from service.schemas import AuditEventOut

router = APIRouter(tags=["audit"])


@router.get("/audit", responses={**ERROR_RESPONSES, **responses()})
def list_audit(
    session: SessionDep,
    caller: Curator,
    entity: Annotated[
        str | None, Query(description="e.g. `activity:A017` or `key:1a2b3c4d5e6f`")
    ] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 time")] = None,
    before_id: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Next page: the last id you saw")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditEventOut]:
    """Newest first. Actors are key ids, `cli` or `open-access`; no personal data."""
    return [
        AuditEventOut.model_validate(event, from_attributes=True)
        for event in audit.events(
            session, caller.org, entity=entity, since=since, limit=limit, before_id=before_id
        )
    ]
