"""POST /v1/recommendations (CONTRACT §5)."""

from __future__ import annotations

from fastapi import APIRouter

from recommender.ranker import Recommendation
from service.deps import RecommenderSnapshot
from service.problems import ERROR_RESPONSES, responses
from service.rankers import Snapshot
from service.schemas import RecommendationRequest, RecommendationResponse, RecommendedItem

router = APIRouter(tags=["recommendations"])


@router.post("/recommendations", responses={**ERROR_RESPONSES, **responses()})
async def recommend(
    body: RecommendationRequest, snapshot: RecommenderSnapshot
) -> RecommendationResponse:
    """Activities that close the profile's gaps, best first, each with the gap and a reason.

    Ranks your organisation's catalogue (plus the shared one if you opted in). Constraints are
    hard filters; a profile without gaps gets no items. Needs the `recommend` scope.
    """
    # async: ranking takes well under a millisecond, less than a hop to the thread pool
    recs = snapshot.ranker.rank(body, limit=body.limit)
    return RecommendationResponse(profile=body.id, items=recommended_items(snapshot, recs))


def recommended_items(snapshot: Snapshot, recs: list[Recommendation]) -> list[RecommendedItem]:
    """The ranker's recommendations with the catalogue fields an LMS shows beside them."""
    items = []
    for rec in recs:
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
    return items
