"""`cpdrec purge`: the retention rule for personal data."""

from __future__ import annotations

from typing import Annotated

import typer

from service import subjects
from service.cli.common import emit, settings, store_session, user_errors
from service.models import utcnow


def purge(
    months: Annotated[
        int | None,
        typer.Option(min=1, help="Keep this many months (default: CPDREC_RETENTION_MONTHS, 24)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")
    ] = False,
) -> None:
    """Delete assessments and feedback older than the retention period, and subjects left
    with nothing; prints the counts per organisation as one JSON object. Run it daily (cron)."""
    keep = months if months is not None else settings().retention_months
    cutoff = subjects.months_before(utcnow(), keep)
    with user_errors(), store_session() as session:
        purged = subjects.purge(session, cutoff)
        if dry_run:
            session.rollback()
    orgs = sorted(set(purged.assessments) | set(purged.feedback) | set(purged.subjects))
    emit(
        {
            "before": cutoff.isoformat(),
            "dry_run": dry_run,
            "organisations": {
                org: {
                    "assessments": purged.assessments[org],
                    "feedback": purged.feedback[org],
                    "subjects": purged.subjects[org],
                }
                for org in orgs
            },
        }
    )
