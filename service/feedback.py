"""Feedback: storing what subjects did with activities, and turning it into a ranking signal.

Each process keeps one fitted `FeedbackBooster` per organisation and refits it when the
organisation's feedback or assessments changed (new rows, erasures, purges) and the last fit
is at least `feedback_refresh_seconds` old, so a burst of feedback costs one refit, and an
erased subject's ratings stop counting within that time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recommender.errors import InvalidInput
from recommender.feedback import FeedbackBooster, ratings_from_events
from service import assessments, store, subjects
from service.models import Assessment, Feedback, utcnow
from service.problems import NotFound
from service.rankers import Snapshot


def record(
    session: Session,
    org: str,
    subject: str,
    activity: str,
    event: str,
    *,
    rating: int | None = None,
    at: datetime | None = None,
    statement_id: str | None = None,
) -> Feedback:
    row = Feedback(
        org=org,
        subject=subject,
        activity=activity,
        event=event,
        rating=rating,
        at=at or utcnow(),
        statement_id=statement_id,
    )
    session.add(row)
    return row


def check_activity(session: Session, org: str, activity: str) -> None:
    """Feedback is only about an activity the organisation can see (archived ones too)."""
    try:
        store.activity_row(session, store.organisation(session, org), activity)
    except NotFound:
        raise InvalidInput.single("activity", f"no activity {activity!r}") from None


def known_statements(session: Session, org: str, statement_ids: list[str]) -> set[str]:
    query = select(Feedback.statement_id).where(
        Feedback.org == org, Feedback.statement_id.in_(statement_ids)
    )
    return {sid for sid in session.scalars(query) if sid is not None}


@dataclass(frozen=True)
class _Fitted:
    snapshot: Snapshot
    watermark: tuple[object, ...]
    booster: FeedbackBooster
    at: float


class Boosters:
    """The feedback signal per organisation, refitted lazily on the request that needs it."""

    def __init__(self, refresh_seconds: float) -> None:
        self.refresh_seconds = refresh_seconds
        self._fitted: dict[str, _Fitted] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, snapshot: Snapshot) -> FeedbackBooster:
        fitted = self._fitted.get(snapshot.org)
        if fitted is not None and fitted.snapshot is not snapshot:
            fitted = None  # the catalogue changed: rows and cells may have moved
        if fitted is not None and time.monotonic() - fitted.at < self.refresh_seconds:
            return fitted.booster
        mark = _watermark(session, snapshot.org)
        with self._lock:
            booster = fitted.booster if fitted and fitted.watermark == mark else None
            if booster is None:
                booster = _fit(session, snapshot)
            self._fitted[snapshot.org] = _Fitted(snapshot, mark, booster, time.monotonic())
        return booster


def _watermark(session: Session, org: str) -> tuple[object, ...]:
    """Changes whenever a feedback row or an assessment is added or deleted."""
    feedback = session.execute(
        select(func.count(), func.max(Feedback.id)).where(Feedback.org == org)
    ).one()
    assessed = session.execute(
        select(func.count(), func.max(Assessment.id)).where(Assessment.org == org)
    ).one()
    return (*feedback, *assessed)


def _fit(session: Session, snapshot: Snapshot) -> FeedbackBooster:
    """Fit on every rating in the organisation, each rater represented by their latest
    assessment in any framework the ranker knows."""
    rows = session.execute(
        select(Feedback.subject, Feedback.activity, Feedback.event, Feedback.rating)
        .where(Feedback.org == snapshot.org)
        .order_by(Feedback.at, Feedback.id)
    ).all()
    ratings = ratings_from_events((s, a, e, r) for s, a, e, r in rows)
    raters = {r.subject for r in ratings}
    latest = subjects.latest_per_subject(session, snapshot.org, among=raters) if raters else {}
    profiles = {
        subject: assessments.profile_of(row)
        for subject, row in latest.items()
        if row.framework in snapshot.frameworks
    }
    return FeedbackBooster().fit(snapshot.ranker, profiles, ratings)


async def get_boosters(request: Request) -> Boosters:
    boosters: Boosters = request.state.boosters
    return boosters


BoostersDep = Annotated[Boosters, Depends(get_boosters)]
