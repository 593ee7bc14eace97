"""The `cpdrec` command line (CONTRACT §4): one module per command group."""

from __future__ import annotations

import sys

import typer
from typer.exceptions import TyperException

from service.cli import admin, catalogue, frameworks, subjects
from service.cli.evaluate import evaluate, evaluate_tags
from service.cli.purge import purge
from service.cli.recommend import recommend
from service.cli.serve import serve

app = typer.Typer(
    help="cpdrec: recommend CPD activities that close digital-capability gaps.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(recommend)
app.command()(serve)
app.command()(evaluate)
app.command()(evaluate_tags)
app.command()(purge)
app.add_typer(catalogue.app, name="catalogue")
app.add_typer(frameworks.app, name="frameworks")
app.add_typer(admin.orgs_app, name="orgs")
app.add_typer(admin.keys_app, name="keys")
app.add_typer(admin.db_app, name="db")
app.add_typer(subjects.app, name="subjects")


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
