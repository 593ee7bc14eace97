"""Heatmaps of a framework's strand × level cells: the catalogue's coverage, and where staff
need development (k-anonymous)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from service import store
from service.deps import PoolDep, SessionDep
from service.rankers import Snapshot
from service.routes.catalogue import MIN_ACTIVITIES_PER_CELL
from service.routes.catalogue import coverage as coverage_report
from service.routes.reports import MIN_SUBJECTS, gap_report
from service.web.auth import CuratorDep, ReporterDep, Visitor
from service.web.templating import render

router = APIRouter()


def _heat(value: int, steps: Sequence[int]) -> int:
    """Which of heat-0 … heat-4 a count falls in, given the lower bounds of heat-1 … heat-4."""
    return sum(value >= step for step in steps)


COVERAGE_STEPS = (1, 2, 4, 8)
GAP_STEPS = (MIN_SUBJECTS, 10, 25, 50)


@router.get("/coverage", response_class=HTMLResponse)
def coverage(
    request: Request,
    session: SessionDep,
    visitor: CuratorDep,
    pool: PoolDep,
    framework: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """Active activities per strand × level, as `GET /v1/catalogue/coverage` counts them."""
    snapshot = pool.get(visitor.principal.org)
    chosen = framework or min(snapshot.frameworks)
    report = coverage_report(visitor.principal, snapshot, chosen)
    fw = snapshot.frameworks[chosen]
    cells = {(c.strand, c.level): c for c in report.cells}
    return render(
        request,
        "coordinator/coverage.html",
        visitor,
        nav="coverage",
        framework=fw,
        frameworks=sorted(snapshot.frameworks.values(), key=lambda f: f.id),
        report=report,
        cells=cells,
        heat={key: _heat(c.total, COVERAGE_STEPS) for key, c in cells.items()},
        steps=COVERAGE_STEPS,
        catching_up=_catching_up(session, visitor, snapshot),
    )


def _catching_up(session: Session, visitor: Visitor, snapshot: Snapshot) -> bool:
    """Counts come from the live ranker, which follows a change within seconds."""
    org = store.organisation(session, visitor.principal.org)
    return store.view_version(session, org) != snapshot.version


@router.get("/gaps", response_class=HTMLResponse)
def gaps(
    request: Request,
    session: SessionDep,
    visitor: ReporterDep,
    pool: PoolDep,
    framework: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """The k-anonymous gap report of `GET /v1/reports/gaps`, with the catalogue beside it."""
    snapshot = pool.get(visitor.principal.org)
    org = store.organisation(session, visitor.principal.org)
    frameworks = store.frameworks(session, org)
    chosen = framework or frameworks[0].id
    report = gap_report(session, visitor.principal, snapshot, chosen)  # 404 if unknown
    fw = next(f for f in frameworks if f.id == chosen)
    cells = {(c.strand, c.level): c for c in report.cells}
    return render(
        request,
        "coordinator/gaps.html",
        visitor,
        nav="gaps",
        framework=fw,
        frameworks=frameworks,
        report=report,
        cells=cells,
        heat={k: _heat(c.subjects or 0, GAP_STEPS) for k, c in cells.items()},
        steps=GAP_STEPS,
        min_activities=MIN_ACTIVITIES_PER_CELL,
    )
