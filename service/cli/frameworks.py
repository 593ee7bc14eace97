"""`cpdrec frameworks ...`: the frameworks in the store."""

from __future__ import annotations

from typing import Annotated

import typer

from service import store
from service.cli.common import OrgOption, emit, store_session, user_errors

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
