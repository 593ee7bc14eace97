"""/v1/frameworks: the frameworks an organisation can assess against, and adding its own."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response

from recommender.assessment import statement_id
from recommender.case import export_case
from recommender.framework_formats import parse_framework_bytes
from recommender.frameworks import Framework
from service import curation, store
from service.deps import Admin, PoolDep, PrincipalDep, SessionDep
from service.problems import ERROR_RESPONSES, Conflict, NotFound, responses
from service.schemas import FrameworkDetail, FrameworkSummary, LevelOut, Statement

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
    return _detail(_framework(session, caller.org, framework_id))


def _detail(framework: Framework) -> FrameworkDetail:
    document = framework.to_document()
    for strand in document["strands"]:
        strand["statements"] = _statements(framework, strand["id"])
    return FrameworkDetail.model_validate(document)


def _framework(session: SessionDep, org_id: str, framework_id: str) -> Framework:
    row = store.framework_row(session, store.organisation(session, org_id), framework_id)
    if row is None:
        raise NotFound("framework", framework_id)
    return Framework.model_validate(row.document)


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
    return export_case(_framework(session, caller.org, framework_id))
