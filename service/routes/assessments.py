"""POST /v1/assessments: a subject's self-assessment, stored, answered with their gap profile."""

from __future__ import annotations

from fastapi import APIRouter

from recommender.profiles import gaps
from service import assessments, store, subjects
from service.deps import SessionDep, SubjectIdsDep
from service.problems import ERROR_RESPONSES, responses
from service.schemas import AssessmentIn, AssessmentOut

router = APIRouter(tags=["subjects"])


@router.post("/assessments", status_code=201, responses={**ERROR_RESPONSES, **responses()})
def create_assessment(body: AssessmentIn, session: SessionDep, ids: SubjectIdsDep) -> AssessmentOut:
    """Store a self-assessment and return the gap profile derived from it.

    Current levels come from the statements affirmed (a level is reached when at least half
    its statements, and every lower level, are) or from `levels` chosen directly. Targets come
    from the request, else your organisation's default for the `role`, else for everyone.
    Only a keyed hash of `subject` is stored. Needs the `subjects` scope.
    """
    framework = store.framework(session, ids.org, body.framework, field="framework")
    policy = assessments.policy(session, ids.org, framework.id)
    targets, sources = assessments.targets_for(policy, body.role, body.targets)
    subject = subjects.ensure(session, ids.org, ids.of(body.subject))
    row, profile = assessments.record(
        session,
        ids.org,
        subject.id,
        framework,
        affirmed=body.affirmed,
        chosen=body.levels,
        targets=targets,
        role=body.role,
        priorities=body.priorities,
    )
    session.commit()
    return AssessmentOut(
        id=row.id,
        subject=subject.id,
        framework=framework.id,
        assessed_at=row.assessed_at,
        profile=profile,
        target_sources={s: sources[s] for s in profile.levels if s in sources},
        gaps=len(gaps(profile, framework)),
    )
