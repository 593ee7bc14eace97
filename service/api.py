"""The /v1 routes. Thin: validate, call the core, shape the response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from recommender.activities import Activity, Format
from recommender.assessment import statement_id
from recommender.frameworks import Framework
from service.problems import ERROR_RESPONSES, NOT_FOUND_RESPONSE, NotFound
from service.schemas import (
    ActivityOut,
    ActivityPage,
    ActivityTag,
    FrameworkDetail,
    FrameworkSummary,
    LevelOut,
    RecommendationRequest,
    RecommendationResponse,
    RecommendedItem,
    Statement,
)
from service.snapshot import Snapshot


def get_snapshot(request: Request) -> Snapshot:
    snapshot: Snapshot = request.state.snapshot
    return snapshot


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]

router = APIRouter(prefix="/v1")


@router.post("/recommendations", responses=ERROR_RESPONSES, tags=["recommendations"])
def recommend(body: RecommendationRequest, snapshot: SnapshotDep) -> RecommendationResponse:
    """Activities that close the profile's gaps, best first, each with the gap and a reason.

    Constraints are hard filters; a profile without gaps gets no items.
    """
    ranked = snapshot.ranker.rank(body, limit=body.limit)
    items = []
    for rec in ranked:
        activity = snapshot.activities[rec.activity]
        items.append(
            RecommendedItem(
                activity=rec.activity,
                score=rec.score,
                relevance=rec.relevance,
                addresses=list(rec.addresses),
                why=rec.why,
                inferred_tags=rec.inferred,
                title=activity.title,
                format=activity.format,
                duration_hours=activity.duration_hours,
                cost=activity.cost,
                provider=activity.provider,
                url=activity.url,
            )
        )
    return RecommendationResponse(profile=body.id, items=items)


@router.get("/frameworks", tags=["frameworks"])
def list_frameworks(snapshot: SnapshotDep) -> list[FrameworkSummary]:
    return [
        FrameworkSummary(
            id=f.id,
            title=f.title,
            subject=f.subject,
            levels=[LevelOut(id=lv.id, label=lv.label) for lv in f.levels],
            strands=[{"id": s.id, "title": s.title} for s in f.strands],
        )
        for f in snapshot.frameworks.values()
    ]


@router.get("/frameworks/{framework_id}", responses=NOT_FOUND_RESPONSE, tags=["frameworks"])
def get_framework(framework_id: str, snapshot: SnapshotDep) -> FrameworkDetail:
    """The framework with every statement, each with a stable id for questionnaires."""
    framework = snapshot.frameworks.get(framework_id)
    if framework is None:
        raise NotFound("framework", framework_id)
    document = framework.to_document()
    for strand in document["strands"]:
        strand["statements"] = _statements(framework, strand["id"])
    return FrameworkDetail.model_validate(document)


def _statements(framework: Framework, strand_id: str) -> list[Statement]:
    return [
        Statement(
            id=statement_id(strand_id, level_id, i),
            level=level_id,
            level_label=framework.level_label(level_id),
            text=text,
        )
        for level_id in framework.level_ids
        for i, text in enumerate(framework.statements(strand_id, level_id))
    ]


@router.get("/activities", responses=ERROR_RESPONSES, tags=["activities"])
def list_activities(
    snapshot: SnapshotDep,
    framework: Annotated[str | None, Query(description="Only activities tagged to it")] = None,
    strand: Annotated[
        str | None, Query(description="Only activities tagged to this strand")
    ] = None,
    level: Annotated[str | None, Query(description="Only activities tagged at this level")] = None,
    format: Annotated[Format | None, Query(description="Delivery format")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in title or description")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ActivityPage:
    """The catalogue, filtered; tags include inferred ones with their confidence."""
    words = q.lower().split() if q else []
    matches = []
    for activity in snapshot.activities.values():
        if format and activity.format != format:
            continue
        if words and not all(w in activity.text.lower() for w in words):
            continue
        out = _activity_out(activity, snapshot)
        if (framework or strand or level) and not any(
            framework in (None, t.framework)
            and strand in (None, t.strand)
            and level in (None, t.level)
            for t in out.tags
        ):
            continue
        matches.append(out)
    return ActivityPage(
        items=matches[offset : offset + limit], total=len(matches), limit=limit, offset=offset
    )


@router.get("/activities/{activity_id}", responses=NOT_FOUND_RESPONSE, tags=["activities"])
def get_activity(activity_id: str, snapshot: SnapshotDep) -> ActivityOut:
    activity = snapshot.activities.get(activity_id)
    if activity is None:
        raise NotFound("activity", activity_id)
    return _activity_out(activity, snapshot)


def _activity_out(activity: Activity, snapshot: Snapshot) -> ActivityOut:
    tags = [ActivityTag.model_validate(t.to_dict()) for t in snapshot.ranker.tags_for(activity)]
    data = activity.model_dump(exclude={"tags"})
    return ActivityOut(**data, tags=tags)
