"""`cpdrec serve`: the HTTP API on the configured database."""

from __future__ import annotations

from typing import Annotated

import typer

from service.cli.common import settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the HTTP API on the embedded database in the data folder ($CPDREC_DATA_DIR).

    On first start the database is seeded with the shipped frameworks and starter catalogue.
    """
    import uvicorn

    from service.app import create_app

    uvicorn.run(create_app(settings()), host=host, port=port)
