"""GET /v1/reports/gaps: where an organisation's people need development, k-anonymously."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Query

from recommender.frameworks import Framework
from service import store, subjects
from service.deps import Reporter, SessionDep, SnapshotDep
from service.problems import ERROR_RESPONSES, NotFound, responses
from service.routes.catalogue import MIN_ACTIVITIES_PER_CELL
from service.schemas import GapCell, GapReport

router = APIRouter(prefix="/reports", tags=["reports"])

MIN_SUBJECTS = 5
"""Counts below this are suppressed, so no one can be singled out (k-anonymity, k = 5)."""


@router.get("/gaps", responses={**ERROR_RESPONSES, **responses(NotFound)})
def gap_report(
    session: SessionDep,
    caller: Reporter,
    snapshot: SnapshotDep,
    framework: Annotated[str, Query(max_length=100, description="Framework id")],
) -> GapReport:
    """How many subjects need each strand × level (their latest assessment has it above the
    current level and at or below the target), beside how many activities serve it.

    Any count below 5, zero included, is withheld (`subjects: null`, `suppressed: true`), and
    so is the total when fewer than 5 subjects were assessed. `short` marks cells where
    demand meets fewer than 2 activities. Needs the `reports` scope.
    """
    fw = store.framework(session, caller.org, framework)
    latest = subjects.latest_per_subject(session, caller.org, framework=fw.id)
    demand: Counter[tuple[str, str]] = Counter()
    for row in latest.values():
        for strand_id, levels in row.levels.items():
            current, target = levels["current"], levels["target"]
            if not (fw.has_strand(strand_id) and _known(fw, current) and _known(fw, target)):
                continue  # stored against an earlier version of the framework
            for level in fw.level_ids[fw.rank(current) + 1 : fw.rank(target) + 1]:
                demand[strand_id, level] += 1
    given, inferred = snapshot.cell_counts(fw.id)
    cells = []
    for strand in fw.strands:
        for level in fw.level_ids:
            needing = demand[strand.id, level]
            shown = needing >= MIN_SUBJECTS
            activities = given[strand.id, level] + inferred[strand.id, level]
            cells.append(
                GapCell(
                    strand=strand.id,
                    level=level,
                    subjects=needing if shown else None,
                    suppressed=not shown,
                    activities=activities,
                    short=shown and activities < MIN_ACTIVITIES_PER_CELL,
                )
            )
    return GapReport(
        framework=fw.id,
        levels=list(fw.level_ids),
        strands=[s.id for s in fw.strands],
        min_subjects=MIN_SUBJECTS,
        subjects=len(latest) if len(latest) >= MIN_SUBJECTS else None,
        cells=cells,
    )


def _known(framework: Framework, level: str | None) -> bool:
    return level is None or framework.has_level(level)
