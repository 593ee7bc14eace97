"""`cpdrec frameworks ...`: the frameworks in the store."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from service import store
from service.cli.common import emit, settings
from service.db import make_engine

app = typer.Typer(help="Inspect the frameworks in the data folder.", no_args_is_help=True)


@app.command("list")
def list_frameworks(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the frameworks in the data folder: id, subject, levels (lowest first), strands."""
    engine = make_engine(settings().db_url)
    with Session(engine) as session, session.begin():
        store.seed_if_empty(session)
        frameworks = store.frameworks(session)
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
