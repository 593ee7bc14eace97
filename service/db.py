"""Engine, schema migrations and the legacy-database check."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ADVISORY_LOCK = 0x63706472  # "cpdr": serialises migrations of processes starting together
HEAD = "0003"
"""The newest migration (a test checks it is Alembic's head): a database already there needs
no Alembic at all, which keeps its 0.3 s of imports out of every start."""


class LegacyDatabase(RuntimeError):
    """A database made before migrations existed: its tables cannot be upgraded in place."""


def make_engine(url: str) -> Engine:
    """Create the engine; for SQLite, create its folder and use WAL so readers never block."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration; safe when several processes start at once."""
    if at_head(engine):
        return
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        with open(f"{database}.migrate-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # SQLite has no advisory locks; one machine does
            _upgrade(engine)
    else:
        _upgrade(engine)


def at_head(engine: Engine) -> bool:
    """Whether the schema is already the newest (an empty or legacy database is not)."""
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version"))
            return version.scalar() == HEAD
    except DBAPIError:  # no alembic_version table yet
        return False


def _upgrade(engine: Engine) -> None:
    from alembic import command

    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
        tables = set(inspect(connection).get_table_names())
        if "activities" in tables and "alembic_version" not in tables:
            raise LegacyDatabase(
                f"{engine.url.render_as_string(hide_password=True)} was created by cpdrec 0.1 "
                "before schema migrations; export its catalogue with cpdrec 0.1, remove it, "
                "and import the export into a new database"
            )
        command.upgrade(alembic_config(connection), "head")
