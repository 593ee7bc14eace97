"""The Alembic migrations build exactly the schema the models describe, both ways."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from service.db import HEAD, alembic_config, at_head, make_engine, upgrade
from service.models import Base

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_match_the_models_and_downgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        upgrade(engine)  # a second start finds nothing to do
        with engine.connect() as connection:
            assert "activities" in inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_head_is_alembics_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def test_a_start_on_an_up_to_date_database_needs_no_alembic(tmp_path: Path) -> None:
    """Alembic's imports cost every start 0.3 s; a database already at HEAD skips them."""
    url = f"sqlite:///{tmp_path / 'cpdrec.db'}"
    check = (
        "import sys\n"
        "from service.db import make_engine, upgrade\n"
        f"upgrade(make_engine({url!r}))\n"
        "print('alembic' in sys.modules)\n"
    )
    run = [sys.executable, "-c", check]
    first = subprocess.run(run, capture_output=True, text=True, check=True, cwd=ROOT)
    again = subprocess.run(run, capture_output=True, text=True, check=True, cwd=ROOT)
    assert (first.stdout.strip(), again.stdout.strip()) == ("True", "False")
    assert at_head(make_engine(url))
