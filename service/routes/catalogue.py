"""/v1/catalogue: bulk import and export, coverage, and which version recommendations use."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from sqlalchemy.orm import Session

from recommender.activities import Activity, read_csv, read_json, write_csv, write_json
from recommender.errors import InvalidInput, Problem
from service import store
from service.curation import Change, Outcome
from service.deps import Curator, PoolDep, PrincipalDep, SessionDep, SnapshotDep
from service.models import SHARED, Organisation
from service.problems import (
    ERROR_RESPONSES,
    MEDIA_TYPE,
    Forbidden,
    NotFound,
    ProblemDetail,
    responses,
)
from service.rankers import version_label
from service.schemas import CatalogueStatus, Coverage, CoverageCell, ImportReport

router = APIRouter(prefix="/catalogue", tags=["catalogue"])

MIN_ACTIVITIES_PER_CELL = 2
CSV_TYPES = ("text/csv", "application/csv")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@router.post(
    "/import",
    responses={
        **ERROR_RESPONSES,
        **responses(),
        413: {"model": ProblemDetail, "description": "Too large", "content": {MEDIA_TYPE: {}}},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        }
    },
)
async def import_catalogue(
    request: Request,
    session: SessionDep,
    caller: Curator,
    pool: PoolDep,
    background: BackgroundTasks,
    dry_run: Annotated[bool, Query(description="Validate and report only")] = False,
) -> ImportReport:
    """Upsert a CSV or JSON catalogue (CONTRACT §2) into yours by id, all or nothing.

    A dry run returns the row-level report (every problem with line and column) and changes
    nothing; a real run with any problem is refused with the same problems (422).
    """
    body = await request.body()
    if len(body) > MAX_UPLOAD_BYTES:
        raise InvalidInput.single("body", f"larger than {MAX_UPLOAD_BYTES} bytes")
    org = store.organisation(session, caller.org)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput.single("body", f"not UTF-8: {exc}") from None
    imported = import_text(session, org, caller.actor, text, content_type, dry_run=dry_run)
    if not dry_run:
        background.add_task(pool.refresh)
    return imported.report(dry_run)


@dataclass(frozen=True)
class Imported:
    """What an import did, or a dry run would do: each activity's outcome, or every problem."""

    activities: tuple[Activity, ...] = ()
    outcomes: Mapping[str, Outcome] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def report(self, dry_run: bool) -> ImportReport:
        counts = Counter(self.outcomes.values())
        return ImportReport(
            dry_run=dry_run,
            valid=not self.problems,
            activities=len(self.activities),
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            errors=[
                {"field": p.field, "message": p.message, "line": p.line, "column": p.column}
                for p in self.problems
            ],
        )


def import_text(
    session: Session,
    org: Organisation,
    actor: str,
    text: str,
    content_type: str,
    *,
    dry_run: bool,
    source: str = "body",
) -> Imported:
    """Upsert a catalogue file by id, all or nothing, and commit it; a dry run rolls back.

    The dry run runs the very upsert the import would, so its per-id outcomes are exact. A
    file with any problem changes nothing: a dry run returns the problems, an import raises.
    """
    frameworks = {f.id: f for f in store.frameworks(session, org)}
    try:
        if content_type in CSV_TYPES:
            activities = read_csv(text, frameworks, source=source)
        elif content_type == "application/json":
            activities = read_json(text, frameworks, source=source)
        else:
            raise InvalidInput.single(
                "content-type", "send text/csv or application/json (CONTRACT §2)"
            )
    except InvalidInput as exc:
        if not dry_run:
            raise
        return Imported(problems=exc.problems)
    outcomes = Change(session, org, actor).upsert(activities)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return Imported(tuple(activities), outcomes)


@router.get(
    "/export",
    responses={
        200: {"content": {"text/csv": {}, "application/json": {}}},
        **ERROR_RESPONSES,
        **responses(),
    },
)
def export_catalogue(
    session: SessionDep,
    caller: PrincipalDep,
    format: Annotated[Literal["csv", "json"], Query()] = "csv",
    owner: Annotated[
        Literal["own", "shared"], Query(description="Your activities, or the shared catalogue")
    ] = "own",
) -> Response:
    """Your active activities as CSV or JSON; importing the file recreates them exactly.

    CSV cells that a spreadsheet would run as formulas get a leading `'`, which import removes.
    """
    org = store.organisation(session, caller.org)
    if owner == "shared" and SHARED not in store.activity_owners(org):
        raise Forbidden("your organisation has not opted into the shared catalogue")
    activities = store.own_activities(session, org.id if owner == "own" else SHARED)
    if format == "csv":
        return Response(write_csv(activities), media_type="text/csv; charset=utf-8")
    return Response(write_json(activities), media_type="application/json")


@router.get("/coverage", responses={**ERROR_RESPONSES, **responses(NotFound)})
def coverage(
    caller: PrincipalDep,
    snapshot: SnapshotDep,
    framework: Annotated[str, Query(description="Framework id")],
) -> Coverage:
    """Active activities per strand × level cell; cells with fewer than two are flagged."""
    fw = snapshot.frameworks.get(framework)
    if fw is None:
        raise NotFound("framework", framework)
    given, inferred = snapshot.cell_counts(framework)
    cells = [
        CoverageCell(
            strand=s.id,
            level=level,
            given=given[s.id, level],
            inferred=inferred[s.id, level],
            total=given[s.id, level] + inferred[s.id, level],
            flagged=given[s.id, level] + inferred[s.id, level] < MIN_ACTIVITIES_PER_CELL,
        )
        for s in fw.strands
        for level in fw.level_ids
    ]
    return Coverage(
        framework=framework,
        levels=list(fw.level_ids),
        strands=[s.id for s in fw.strands],
        min_activities=MIN_ACTIVITIES_PER_CELL,
        cells=cells,
        flagged=sum(c.flagged for c in cells),
    )


@router.get("/status", responses=responses())
def catalogue_status(
    session: SessionDep, caller: PrincipalDep, snapshot: SnapshotDep
) -> CatalogueStatus:
    """Whether recommendations already reflect the latest catalogue change."""
    current = store.view_version(session, store.organisation(session, caller.org))
    return CatalogueStatus(
        organisation=caller.org,
        version=version_label(current),
        serving_version=version_label(snapshot.version),
        up_to_date=current == snapshot.version,
        activities=len(snapshot.activities),
        built_at=snapshot.built_at,
    )
