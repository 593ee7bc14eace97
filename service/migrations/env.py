"""Alembic environment: runs on the connection `service.db.upgrade` passes in, or on the
configured database (`CPDREC_DATABASE_URL`) when run from the `alembic` command."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from service.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from service.db import make_engine
    from service.settings import Settings

    with make_engine(Settings().db_url).begin() as fresh:
        _run(fresh)
