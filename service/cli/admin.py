"""`cpdrec db|orgs|keys ...`: schema upgrades, organisations and their API keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from service import accounts
from service.cli.common import emit, settings, store_session, user_errors
from service.db import make_engine, upgrade
from service.keys import SCOPES
from service.models import utcnow

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
orgs_app = typer.Typer(
    help="Organisations: each has its own catalogue and keys.", no_args_is_help=True
)
keys_app = typer.Typer(help="API keys for LMS plugins and coordinators.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending schema migrations to the configured database (`cpdrec serve` does too)."""
    engine = make_engine(settings().db_url)
    try:
        with user_errors():
            upgrade(engine)
    finally:
        engine.dispose()
    typer.echo(f"{engine.url.render_as_string(hide_password=True)}: schema is up to date")


@orgs_app.command("create")
def create_org(
    org: Annotated[str, typer.Argument(help="Id: lowercase kebab-case, e.g. `cardiff-college`.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    shared_catalogue: Annotated[
        bool,
        typer.Option(
            "--shared-catalogue/--no-shared-catalogue",
            help="See (read-only) and be recommended the shared catalogue.",
        ),
    ] = True,
) -> None:
    """Create an organisation with an empty catalogue of its own."""
    with user_errors(), store_session() as session:
        accounts.create_org(session, org, name, shared_catalogue)
    typer.echo(f"created organisation {org!r}")


@orgs_app.command("set")
def set_org(
    org: Annotated[str, typer.Argument(help="Organisation id.")],
    shared_catalogue: Annotated[
        bool,
        typer.Option(
            "--shared-catalogue/--no-shared-catalogue",
            help="Opt into, or out of, the shared catalogue.",
        ),
    ],
) -> None:
    """Change whether an organisation uses the shared catalogue; servers follow within seconds."""
    with user_errors(), store_session() as session:
        accounts.set_shared_catalogue(session, org, shared_catalogue)
    typer.echo(f"{org!r} {'uses' if shared_catalogue else 'no longer uses'} the shared catalogue")


@orgs_app.command("list")
def list_orgs() -> None:
    """Organisations with their catalogue version and whether they use the shared catalogue."""
    with user_errors(), store_session() as session:
        for o in accounts.organisations(session):
            shared = "uses shared catalogue" if o.uses_shared_catalogue else "own catalogue only"
            typer.echo(f"{o.id}\t{o.name}\t{shared}\tversion {o.catalogue_version}")


@keys_app.command("create")
def create_key(
    org: Annotated[str, typer.Option(help="Organisation the key acts for.")],
    scope: Annotated[list[str], typer.Option(help=f"Repeat for several: {', '.join(SCOPES)}.")],
    name: Annotated[str, typer.Option(help="What it is for, e.g. `moodle plugin`.")] = "",
    expires_days: Annotated[
        int | None, typer.Option(min=1, help="Expire after this many days.")
    ] = None,
    person: Annotated[
        str | None,
        typer.Option(
            help="For a `self` key: the id your LMS knows the person by (stored only hashed)."
        ),
    ] = None,
) -> None:
    """Create a key and print it once; only its hash is stored, so it cannot be shown again.

    The first key ends open access for good: from then on every /v1 request needs a key.
    A `self` key lets one person (`--person`) sign in to the web pages as themselves.
    """
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    with user_errors(), store_session() as session:
        row, plaintext = accounts.create_key(
            session, org, scope, settings().key_secret(), name, expires, person
        )
        key_id, scopes = row.id, row.scopes
    typer.echo(plaintext)
    typer.echo(
        f"key {key_id} for {org!r} with scopes {', '.join(scopes)}: store it now, "
        "it is not shown again",
        err=True,
    )


@keys_app.command("list")
def list_keys(
    org: Annotated[str | None, typer.Option(help="Only this organisation's keys.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Key ids (never the keys), scopes, and when each was created, last used, revoked."""
    with user_errors(), store_session() as session:
        for k in accounts.list_keys(session, org):
            row = {
                "id": k.id,
                "org": k.org,
                "name": k.name,
                "scopes": k.scopes,
                "created_at": k.created_at.isoformat(),
                "expires_at": k.expires_at.isoformat() if k.expires_at else None,
                "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            if as_json:
                emit(row)
            else:
                state = "revoked" if k.revoked_at else "active"
                typer.echo(f"{k.id}\t{k.org}\t{','.join(k.scopes)}\t{state}\t{k.name}")


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="The id `keys list` shows.")]) -> None:
    """Revoke a key: every server process refuses it within CPDREC_KEY_CACHE_SECONDS (5 s)."""
    with user_errors(), store_session() as session:
        accounts.revoke_key(session, key_id)
    typer.echo(f"revoked key {key_id}")
