"""/v1/subjects/{subject}: recommendations from a stored assessment, progress, and the
subject's rights of access and erasure. `{subject}` is the LMS's own id; only its keyed hash
is stored, and the same id in another organisation is another subject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from recommender.profiles import Constraints
from recommender.ranker import Recommendation
from service import assessments, store, subjects
from service.deps import SessionDep, SnapshotDep, SubjectIdsDep, SubjectsAccess
from service.feedback import Boosters, BoostersDep
from service.models import Assessment
from service.problems import ERROR_RESPONSES, NotFound, responses
from service.rankers import Snapshot
from service.routes.recommendations import recommended_items
from service.schemas import (
    ErasureReport,
    LevelOut,
    Progress,
    ProgressPoint,
    StrandProgress,
    SubjectExport,
    SubjectRecommendationRequest,
    SubjectRecommendationResponse,
)

router = APIRouter(prefix="/subjects", tags=["subjects"])

SubjectPath = Annotated[
    str, Path(min_length=1, max_length=200, description="Your LMS's id for the subject")
]


@router.post("/{subject_id}/recommendations", responses={**ERROR_RESPONSES, **responses(NotFound)})
def recommend_for_subject(
    subject_id: SubjectPath,
    body: SubjectRecommendationRequest,
    session: SessionDep,
    ids: SubjectIdsDep,
    snapshot: SnapshotDep,
    boosters: BoostersDep,
) -> SubjectRecommendationResponse:
    """Activities for the gaps in the subject's latest assessment (in `framework`, if given).

    Activities the subject completed or dismissed are never offered again. Ratings from
    people with similar gaps move activities up or down among those that close a gap; they
    never bring in an activity that closes none, nor one your constraints rule out. Needs
    the `subjects` scope.
    """
    subject = subjects.lookup(session, ids, subject_id)
    latest = subjects.latest(session, ids.org, subject.id, body.framework)
    if latest is None:
        raise NotFound("assessment for subject", subject_id)
    recs, excluded = rank_for_subject(
        session,
        snapshot,
        boosters,
        latest,
        constraints=body.constraints,
        query=body.query,
        limit=body.limit,
    )
    return SubjectRecommendationResponse(
        framework=latest.framework,
        assessed_at=latest.assessed_at,
        excluded=excluded,
        items=recommended_items(snapshot, recs),
    )


def rank_for_subject(
    session: Session,
    snapshot: Snapshot,
    boosters: Boosters,
    latest: Assessment,
    *,
    constraints: Constraints,
    query: str | None,
    limit: int,
) -> tuple[list[Recommendation], int]:
    """The ranking for a stored assessment (what its subject finished left out, boosted by
    similar people's feedback) and how many finished activities were left out."""
    profile = assessments.profile_of(latest, constraints=constraints, query=query)
    finished = subjects.finished_activities(session, latest.org, latest.subject)
    recs = snapshot.ranker.rank(
        profile, limit=limit, exclude=finished, adjuster=boosters.get(session, snapshot)
    )
    return recs, len(finished.intersection(snapshot.activities))


@router.get("/{subject_id}/progress", responses={**ERROR_RESPONSES, **responses(NotFound)})
def progress(
    subject_id: SubjectPath,
    session: SessionDep,
    ids: SubjectIdsDep,
    framework: str | None = None,
) -> Progress:
    """Current and target level per strand at every assessment, oldest first, in `framework`
    (default: that of the latest assessment). Needs the `subjects` scope."""
    subject = subjects.lookup(session, ids, subject_id)
    latest = subjects.latest(session, ids.org, subject.id, framework)
    if latest is None:
        raise NotFound("assessment for subject", subject_id)
    fw = store.framework(session, ids.org, latest.framework)
    history = subjects.assessments(session, ids.org, subject.id, fw.id)
    strands = []
    for strand in fw.strands:
        points = [
            ProgressPoint(
                assessed_at=a.assessed_at,
                current=a.levels[strand.id]["current"],
                target=a.levels[strand.id]["target"] or "",
            )
            for a in history
            if strand.id in a.levels
        ]
        if points:
            strands.append(StrandProgress(strand=strand.id, title=strand.title, points=points))
    return Progress(
        framework=fw.id,
        levels=[LevelOut(id=lv.id, label=lv.label) for lv in fw.levels],
        assessments=[a.assessed_at for a in history],
        strands=strands,
    )


@router.get("/{subject_id}/export", responses={**ERROR_RESPONSES, **responses(NotFound)})
def export_subject(
    subject_id: SubjectPath, session: SessionDep, ids: SubjectIdsDep
) -> SubjectExport:
    """Everything held on the subject, machine-readable (GDPR rights of access and
    portability): assessments with their answers, and feedback. Needs the `subjects` scope."""
    subject = subjects.lookup(session, ids, subject_id)
    return SubjectExport.model_validate(subjects.export(session, ids.org, subject))


@router.delete("/{subject_id}", responses={**ERROR_RESPONSES, **responses(NotFound)})
def erase_subject(
    subject_id: SubjectPath, session: SessionDep, ids: SubjectIdsDep, caller: SubjectsAccess
) -> ErasureReport:
    """Erase the subject and everything held on them (GDPR right to erasure), at once and
    for good. The audit log records that a subject was erased, not which one. Needs the
    `subjects` scope."""
    subject = subjects.lookup(session, ids, subject_id)
    counts = subjects.erase(session, ids.org, subject, caller.actor)
    session.commit()
    return ErasureReport(**counts)
