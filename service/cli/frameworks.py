"""`cpdrec frameworks ...`: the frameworks in the store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, cast

import typer

from recommender.case import export_case
from recommender.framework_formats import Subject, read_framework_file
from recommender.frameworks import Framework
from service import store
from service.cli.common import OrgOption, emit, store_session, user_errors
from service.curation import add_framework
from service.problems import NotFound

app = typer.Typer(help="List and import frameworks.", no_args_is_help=True)


@app.command("list")
def list_frameworks(
    org: OrgOption = "local",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the frameworks an organisation sees: id, subject, levels (lowest first), strands."""
    with user_errors(), store_session() as session:
        frameworks = store.frameworks(session, store.organisation(session, org))
    for f in frameworks:
        if as_json:
            emit(
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


@app.command("import")
def import_framework(
    file: Annotated[
        Path,
        typer.Argument(
            help="Native framework JSON, a 1EdTech CASE 1.0 package, or a Moodle competency "
            "framework CSV; the format is detected from the content.",
            exists=True,
            dir_okay=False,
        ),
    ],
    org: OrgOption = "local",
    framework_id: Annotated[
        str | None, typer.Option("--id", help="Framework id, when the file has none.")
    ] = None,
    subject: Annotated[
        str | None, typer.Option(help="practitioner or organisation, when the file has none.")
    ] = None,
) -> None:
    """Add a framework to an organisation (`--org shared`: to every organisation)."""
    if subject not in (None, "practitioner", "organisation"):
        raise typer.BadParameter("must be practitioner or organisation", param_hint="--subject")
    with user_errors(), store_session() as session:
        owner = store.organisation(session, org)
        framework = read_framework_file(
            file, framework_id=framework_id, subject=cast(Subject | None, subject)
        )
        add_framework(session, owner, framework, "cli")
    typer.echo(
        f"{file}: added framework {framework.id!r} to {org!r} "
        f"({len(framework.strands)} strands, levels {' < '.join(framework.level_ids)})"
    )


@app.command("export")
def export_framework(
    framework_id: Annotated[str, typer.Argument(help="Framework id.")],
    org: OrgOption = "local",
    format: Annotated[str, typer.Option(help="native or case (1EdTech CASE 1.0).")] = "native",
) -> None:
    """Print a framework as native JSON or as a CASE 1.0 package."""
    if format not in ("native", "case"):
        raise typer.BadParameter("must be native or case", param_hint="--format")
    with user_errors(), store_session() as session:
        owner = store.organisation(session, org)
        row = store.framework_row(session, owner, framework_id)
        if row is None:
            raise NotFound("framework", framework_id)
        document = row.document
    if format == "case":
        document = export_case(Framework.model_validate(document))
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
