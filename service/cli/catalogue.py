"""`cpdrec catalogue ...`: tag, import and export catalogues."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from recommender import make_ranker
from recommender.activities import load_catalogue, write_csv, write_json
from recommender.frameworks import by_id, load_frameworks
from service import store
from service.cli.common import (
    CatalogueFile,
    FrameworkFiles,
    OrgOption,
    emit,
    store_session,
    user_errors,
)
from service.cli.progress import bars
from service.curation import Change

CHUNK = 200
"""Activities upserted per call, so the import bar moves on a large catalogue."""

app = typer.Typer(help="Tag, import and export catalogues of CPD activities.", no_args_is_help=True)


@app.command("tag")
def tag(framework: FrameworkFiles, catalogue: CatalogueFile) -> None:
    """Print each activity's tags, most confident first: given ones, or inferred from text.

    Inferred tags carry a calibrated confidence (the chance the tag is right); only tags worth
    showing a coordinator are printed, so an unrelated activity may get none.
    """
    with user_errors():
        frameworks = load_frameworks(framework)
        activities = load_catalogue(catalogue, by_id(frameworks))
    with bars(stdout_is_data=True) as progress:
        with progress.step("fitting the tagger"):
            ranker = make_ranker().fit(frameworks, activities)
        tagged = progress.task("tagging activities", len(activities))
        for activity in activities:
            tags = [t.to_dict() for t in ranker.tags_for(activity)]
            emit({"activity": activity.id, "tags": tags})
            tagged.advance()


@app.command("import")
def import_catalogue(
    file: Annotated[
        Path, typer.Argument(help="CSV or JSON catalogue.", exists=True, dir_okay=False)
    ],
    org: OrgOption = "local",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate only; change nothing.")
    ] = False,
) -> None:
    """Validate a catalogue and upsert it (by id) into an organisation's, all or nothing.

    A running `cpdrec serve` picks the change up within seconds; no restart needed.
    """
    with user_errors(), store_session() as session, bars() as progress:
        owner = store.organisation(session, org)
        with progress.step(f"reading {file.name}"):
            activities = load_catalogue(file, by_id(store.frameworks(session, owner)))
        change = Change(session, owner, "cli")
        counts: Counter[str] = Counter()
        imported = progress.task("importing activities", len(activities))
        for start in range(0, len(activities), CHUNK):
            chunk = activities[start : start + CHUNK]
            counts.update(change.import_all(chunk))
            imported.advance(len(chunk))
        if dry_run:
            session.rollback()
        else:
            with progress.step("writing"):
                session.flush()  # the bulk of the commit that follows
    verb = "would import" if dry_run else "imported"
    typer.echo(
        f"{file}: {verb} {len(activities)} activities into {org!r} ({counts['created']} new, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged)"
        + ("; nothing changed (dry run)" if dry_run else "")
    )


@app.command("export")
def export_catalogue(
    org: OrgOption = "local",
    format: Annotated[str, typer.Option(help="csv or json.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; default standard output.")
    ] = None,
) -> None:
    """Write an organisation's own active activities as CSV or JSON (CONTRACT §2).

    CSV cells a spreadsheet would run as formulas get a leading `'`; import removes it.
    """
    if format not in ("csv", "json"):
        raise typer.BadParameter("must be csv or json", param_hint="--format")
    with user_errors(), store_session() as session:
        activities = store.own_activities(session, store.organisation(session, org).id)
    text = write_csv(activities) if format == "csv" else write_json(activities)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
