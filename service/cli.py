"""The `cpdrec` command line (CONTRACT §4)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session
from typer.exceptions import TyperException

from recommender import make_ranker
from recommender.activities import load_catalogue, write_csv, write_json
from recommender.errors import InvalidInput
from recommender.frameworks import Framework, by_id, load_frameworks
from recommender.persistence import load_or_fit
from recommender.profiles import read_profiles
from service import store
from service.db import make_engine
from service.settings import Settings

app = typer.Typer(
    help="cpdrec: recommend CPD activities that close digital-capability gaps.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
catalogue_app = typer.Typer(
    help="Tag, import and export catalogues of CPD activities.", no_args_is_help=True
)
frameworks_app = typer.Typer(
    help="Inspect the frameworks in the data folder.", no_args_is_help=True
)
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(frameworks_app, name="frameworks")

FrameworkFiles = Annotated[
    list[Path],
    typer.Option(
        "--framework",
        help="Framework file (native JSON); repeat for several.",
        exists=True,
        dir_okay=False,
    ),
]
CatalogueFile = Annotated[
    Path,
    typer.Option(
        "--catalogue",
        help="Catalogue file: CSV, or JSON by extension.",
        exists=True,
        dir_okay=False,
    ),
]


@contextmanager
def user_errors() -> Iterator[None]:
    """Bad input ends the command with exit code 2 and one line per problem on stderr."""
    try:
        yield
    except InvalidInput as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2) from None


def _emit(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


@app.command()
def recommend(
    framework: FrameworkFiles,
    catalogue: CatalogueFile,
    profiles: Annotated[
        Path,
        typer.Option(help="Gap profiles, one JSON object per line.", exists=True, dir_okay=False),
    ],
    limit: Annotated[int, typer.Option(min=1, max=50, help="Items per profile.")] = 5,
) -> None:
    """Rank the catalogue for each profile; print one JSON line per profile, in input order.

    Stateless: nothing is stored. The fitted ranker is cached under the models folder.
    """
    with user_errors():
        frameworks = load_frameworks(framework)
        activities = load_catalogue(catalogue, by_id(frameworks))
        parsed = list(read_profiles(profiles, by_id(frameworks)))
    ranker = load_or_fit(_models_dir(), frameworks, activities, make_ranker)
    for profile, recs in zip(parsed, ranker.rank_many(parsed, limit), strict=True):
        _emit({"profile": profile.id, "items": [r.to_dict() for r in recs]})


@catalogue_app.command("tag")
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
        _emit({"activity": activity.id, "tags": [t.to_dict() for t in ranker.tags_for(activity)]})


@catalogue_app.command("import")
def import_catalogue(
    file: Annotated[
        Path, typer.Argument(help="CSV or JSON catalogue.", exists=True, dir_okay=False)
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate only; change nothing.")
    ] = False,
) -> None:
    """Validate a catalogue and upsert it (by id) into the data folder, all or nothing."""
    engine = make_engine(_settings().db_url)
    with Session(engine) as session, session.begin():
        store.seed_if_empty(session)
        with user_errors():
            activities = load_catalogue(file, _frameworks(session))
        if dry_run:
            typer.echo(f"{file}: {len(activities)} activities valid; nothing imported (dry run)")
            session.rollback()
            return
        created, updated = store.upsert_activities(session, activities)
    typer.echo(
        f"{file}: imported {len(activities)} activities ({created} new, {updated} "
        "updated); restart `cpdrec serve` to rank with them"
    )


@catalogue_app.command("export")
def export_catalogue(
    format: Annotated[str, typer.Option(help="csv or json.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; default standard output.")
    ] = None,
) -> None:
    """Write the data folder's catalogue as CSV or JSON (CONTRACT §2)."""
    if format not in ("csv", "json"):
        raise typer.BadParameter("must be csv or json", param_hint="--format")
    engine = make_engine(_settings().db_url)
    with Session(engine) as session, session.begin():
        store.seed_if_empty(session)
        activities = store.activities(session)
    text = write_csv(activities) if format == "csv" else write_json(activities)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@frameworks_app.command("list")
def list_frameworks(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the frameworks in the data folder: id, subject, levels (lowest first), strands."""
    engine = make_engine(_settings().db_url)
    with Session(engine) as session, session.begin():
        store.seed_if_empty(session)
        frameworks = store.frameworks(session)
    for f in frameworks:
        if as_json:
            _emit(
                {
                    "id": f.id,
                    "title": f.title,
                    "subject": f.subject,
                    "levels": list(f.level_ids),
                    "strands": [s.id for s in f.strands],
                }
            )
        else:
            typer.echo(
                f"{f.id}\t{f.subject}\t{' < '.join(f.level_ids)}\t"
                f"{len(f.strands)} strands\t{f.title}"
            )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the HTTP API on the embedded database in the data folder ($CPDREC_DATA_DIR).

    On first start the database is seeded with the shipped frameworks and starter catalogue.
    """
    import uvicorn

    from service.app import create_app

    uvicorn.run(create_app(_settings()), host=host, port=port)


def _settings() -> Settings:
    return Settings()


def _models_dir() -> Path:
    return _settings().models_dir


def _frameworks(session: Session) -> dict[str, Framework]:
    return dict(by_id(store.frameworks(session)))


def main() -> None:
    """Entry point: usage errors, like bad input, end with exit code 2 and one line."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        code = 130
    except TyperException as exc:  # usage errors: bad option values, missing files
        typer.echo(f"error: {exc.format_message()}", err=True)
        code = exc.exit_code
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
