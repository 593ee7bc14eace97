"""GET /v1/frameworks[/{id}]: the frameworks an organisation can assess against."""

from __future__ import annotations

from fastapi import APIRouter

from recommender.assessment import statement_id
from recommender.frameworks import Framework
from service import store
from service.deps import PrincipalDep, SessionDep
from service.problems import NotFound, responses
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
    framework = _framework(session, caller.org, framework_id)
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
