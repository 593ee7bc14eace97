"""/v1/frameworks: the frameworks an organisation can assess against, and adding its own."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response

from recommender.assessment import statement_id
from recommender.case import export_case
from recommender.framework_formats import parse_framework_bytes
from recommender.frameworks import Framework
from service import assessments, audit, curation, store
from service.deps import Admin, Curator, PoolDep, PrincipalDep, SessionDep
from service.problems import ERROR_RESPONSES, Conflict, NotFound, responses
from service.schemas import (
    FrameworkDetail,
    FrameworkSummary,
    LevelOut,
    Questionnaire,
    QuestionnaireLevel,
    QuestionnaireStatement,
    QuestionnaireStrand,
    Statement,
    TargetPolicyIn,
    TargetPolicyOut,
)

router = APIRouter(tags=["frameworks"])


@router.get("/frameworks", responses=responses())
def list_frameworks(session: SessionDep, caller: PrincipalDep) -> list[FrameworkSummary]:
    """The shared frameworks and your organisation's own."""
    org = store.organisation(session, caller.org)
    return [
        FrameworkSummary(
            id=f.id,
            title=f.title,
            subject=f.subject,
            levels=[LevelOut(id=lv.id, label=lv.label) for lv in f.levels],
            strands=[{"id": s.id, "title": s.title} for s in f.strands],
        )
        for f in store.frameworks(session, org)
    ]


@router.get("/frameworks/{framework_id}", responses=responses(NotFound))
def get_framework(framework_id: str, session: SessionDep, caller: PrincipalDep) -> FrameworkDetail:
    """The framework with every statement, each with a stable id for questionnaires."""
    return _detail(store.framework(session, caller.org, framework_id))


def _detail(framework: Framework) -> FrameworkDetail:
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


@router.post(
    "/frameworks",
    status_code=201,
    responses={**ERROR_RESPONSES, **responses(Conflict)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object"},
                    "description": "Native framework JSON (CONTRACT §1) or a CASE 1.0 package",
                },
                "text/csv": {
                    "schema": {"type": "string"},
                    "description": "A Moodle competency framework CSV (tool_lpimportcsv)",
                },
            },
        }
    },
)
async def add_framework(
    request: Request,
    session: SessionDep,
    caller: Admin,
    pool: PoolDep,
    background: BackgroundTasks,
    response: Response,
    framework_id: Annotated[
        str | None, Query(alias="id", description="Framework id, when the document has none")
    ] = None,
    subject: Annotated[
        Literal["practitioner", "organisation"] | None,
        Query(description="When the document does not say"),
    ] = None,
) -> FrameworkDetail:
    """Add a framework for your organisation (native JSON, CASE 1.0 JSON or Moodle CSV)."""
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    framework = parse_framework_bytes(
        body, content_type or None, framework_id=framework_id, subject=subject
    )
    org = store.organisation(session, caller.org)
    curation.add_framework(session, org, framework, caller.actor)
    session.commit()
    background.add_task(pool.refresh)
    response.headers["Location"] = f"/v1/frameworks/{framework.id}"
    return _detail(framework)


@router.get("/frameworks/{framework_id}/case", responses=responses(NotFound))
def export_framework_case(
    framework_id: str, session: SessionDep, caller: PrincipalDep
) -> dict[str, Any]:
    """The framework as a 1EdTech CASE 1.0 package (CFDocument, CFItems, CFRubrics)."""
    return export_case(store.framework(session, caller.org, framework_id))


@router.get("/frameworks/{framework_id}/questionnaire", responses=responses(NotFound))
def questionnaire(framework_id: str, session: SessionDep, caller: PrincipalDep) -> Questionnaire:
    """The statements to ask, strand by strand, grouped by level (lowest first).

    Render each strand as one step; send the ids of the statements the person agrees with as
    `affirmed` to `POST /v1/assessments` (or let them pick a level directly and send `levels`).
    A level counts as reached when at least half its statements, and every lower level, are.
    """
    framework = store.framework(session, caller.org, framework_id)
    who = "your organisation" if framework.subject == "organisation" else "you"
    row = assessments.policy(session, caller.org, framework.id)
    return Questionnaire(
        framework=framework.id,
        title=framework.title,
        subject=framework.subject,
        instructions=(
            f"For each strand, tick every statement that describes {who} today. "
            "Or choose the level reached directly."
        ),
        levels=[LevelOut(id=lv.id, label=lv.label) for lv in framework.levels],
        strands=[
            QuestionnaireStrand(
                id=strand.id,
                title=strand.title,
                levels=[
                    QuestionnaireLevel(
                        id=level.id,
                        label=level.label,
                        statements=[
                            QuestionnaireStatement(id=statement_id(strand.id, level.id, i), text=t)
                            for i, t in enumerate(framework.statements(strand.id, level.id))
                        ],
                    )
                    for level in framework.levels
                ],
            )
            for strand in framework.strands
        ],
        default_targets=row.targets if row else {},
    )


@router.get("/frameworks/{framework_id}/targets", responses=responses(NotFound))
def get_targets(framework_id: str, session: SessionDep, caller: PrincipalDep) -> TargetPolicyOut:
    """Your organisation's default targets: used for strands a person sets no target for."""
    framework = store.framework(session, caller.org, framework_id)
    row = assessments.policy(session, caller.org, framework.id)
    if row is None:
        return TargetPolicyOut(framework=framework.id, updated_at=None)
    return TargetPolicyOut(
        framework=framework.id, targets=row.targets, roles=row.roles, updated_at=row.updated_at
    )


@router.put(
    "/frameworks/{framework_id}/targets", responses={**ERROR_RESPONSES, **responses(NotFound)}
)
def set_targets(
    framework_id: str, body: TargetPolicyIn, session: SessionDep, caller: Curator
) -> TargetPolicyOut:
    """Replace the default targets, for everyone and per staff role (a role's beats
    everyone's; a target a person sends beats both). Needs `catalogue:write`."""
    framework = store.framework(session, caller.org, framework_id)
    before = assessments.policy(session, caller.org, framework.id)
    old = {"targets": before.targets, "roles": before.roles} if before else {}
    row = assessments.set_policy(session, caller.org, framework, body.targets, body.roles)
    audit.record(
        session,
        caller.org,
        caller.actor,
        "set-targets",
        f"framework:{framework.id}",
        audit.diff(old, {"targets": body.targets, "roles": body.roles}),
    )
    session.commit()
    return TargetPolicyOut(
        framework=framework.id, targets=row.targets, roles=row.roles, updated_at=row.updated_at
    )
