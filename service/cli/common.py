"""What every command shares: error reporting, JSON lines output, settings and the store."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from recommender.errors import InvalidInput
from service import store
from service.db import LegacyDatabase, make_engine
from service.problems import ServiceError
from service.settings import Settings

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
    """Bad input ends the command with exit code 2 and one line per problem on stderr; so do
    the errors the HTTP API answers with 404, 409..., and a database too old to upgrade."""
    try:
        yield
    except InvalidInput as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2) from None
    except (ServiceError, LegacyDatabase) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def fail(message: str) -> typer.Exit:
    """A one-line usage error (exit code 2); raise what it returns."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def emit(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def settings() -> Settings:
    return Settings()


OrgOption = Annotated[
    str,
    typer.Option(
        "--org",
        help="Organisation whose catalogue to use (`local` is the open-access default; "
        "`shared` is the shared catalogue).",
    ),
]


@contextmanager
def store_session() -> Iterator[Session]:
    """A session on the configured database, migrated and seeded; commits if the block ends
    without error, so a command's change lands completely or not at all."""
    engine = make_engine(settings().db_url)
    try:
        store.prepare(engine)
        with Session(engine) as session, session.begin():
            yield session
    finally:
        engine.dispose()
