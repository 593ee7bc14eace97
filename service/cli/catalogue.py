"""`cpdrec catalogue ...`: tag, import and export catalogues."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from recommender import make_ranker
from recommender.activities import load_catalogue, write_csv, write_json
from recommender.frameworks import by_id, load_frameworks
from service import store
from service.cli.common import CatalogueFile, FrameworkFiles, emit, settings, user_errors
from service.db import make_engine

app = typer.Typer(
    help="Tag, import and export catalogues of CPD activities.", no_args_is_help=True
)


@app.command("tag")
def tag(framework: FrameworkFiles, catalogue: CatalogueFile) -> None:
    """Print each activity's tags, most confident first: given ones, or inferred from text.

    Inferred tags carry a calibrated confidence (the chance the tag is right); only tags worth
    showing a coordinator are printed, so an unrelated activity may get none.
    """
    with user_errors():
        frameworks = load_frameworks(framework)
        activities = load_catalogue(catalogue, by_id(frameworks))
    ranker = make_ranker().fit(frameworks, activities)
    for activity in activities:
        emit({"activity": activity.id, "tags": [t.to_dict() for t in ranker.tags_for(activity)]})


@app.command("import")
def import_catalogue(
    file: Annotated[
        Path, typer.Argument(help="CSV or JSON catalogue.", exists=True, dir_okay=False)
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate only; change nothing.")
    ] = False,
) -> None:
    """Validate a catalogue and upsert it (by id) into the data folder, all or nothing."""
    engine = make_engine(settings().db_url)
    with Session(engine) as session, session.begin():
        store.seed_if_empty(session)
        with user_errors():
            activities = load_catalogue(file, dict(by_id(store.frameworks(session))))
        if dry_run:
            typer.echo(f"{file}: {len(activities)} activities valid; nothing imported (dry run)")
            session.rollback()
            return
        created, updated = store.upsert_activities(session, activities)
    typer.echo(
        f"{file}: imported {len(activities)} activities ({created} new, {updated} "
        "updated); restart `cpdrec serve` to rank with them"
    )


@app.command("export")
def export_catalogue(
    format: Annotated[str, typer.Option(help="csv or json.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; default standard output.")
    ] = None,
) -> None:
    """Write the data folder's catalogue as CSV or JSON (CONTRACT §2)."""
    if format not in ("csv", "json"):
        raise typer.BadParameter("must be csv or json", param_hint="--format")
    engine = make_engine(settings().db_url)
    with Session(engine) as session, session.begin():
        store.seed_if_empty(session)
        activities = store.activities(session)
    text = write_csv(activities) if format == "csv" else write_json(activities)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
