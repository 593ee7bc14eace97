from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

import catalogue
from recommender import make_ranker
from recommender.activities import Activity, load_catalogue
from recommender.frameworks import Framework, by_id, load_frameworks
from recommender.ranker import GapRanker
from service.app import create_app
from service.settings import Settings
from tests.web import Browser

D2030 = catalogue.FRAMEWORKS_DIR / "d2030-commitment.json"
NAACE = catalogue.FRAMEWORKS_DIR / "naace-srf-5a.json"
DATA = Path(__file__).parent / "data"

PROFILE: dict[str, object] = {
    "id": "P01",
    "framework": "d2030-commitment",
    "levels": {
        "1.1": {"current": "exploring", "target": "transforming"},
        "1.3": {"current": None, "target": "embedding"},
    },
    "priorities": {"1.3": 2.0},
}
"""The gap profile of CONTRACT §3, without its constraints and query."""


@pytest.fixture(scope="session")
def frameworks() -> list[Framework]:
    return load_frameworks([D2030, NAACE])


@pytest.fixture(scope="session")
def framework_map(frameworks: list[Framework]) -> dict[str, Framework]:
    return dict(by_id(frameworks))


@pytest.fixture(scope="session")
def activities(framework_map: dict[str, Framework]) -> list[Activity]:
    return load_catalogue(catalogue.STARTER_CATALOGUE, framework_map)


@pytest.fixture(scope="session")
def ranker(frameworks: list[Framework], activities: list[Activity]) -> GapRanker:
    return make_ranker().fit(frameworks, activities)


POSTGRES_URL = os.environ.get(
    "CPDREC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
"""Service tests run on SQLite and on this PostgreSQL, each test in a schema of its own."""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'cpdrec.db'}"
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError:
        engine.dispose()
        if os.environ.get("CPDREC_TEST_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        models_dir=tmp_path / "models",
        database_url=database_url,
        refresh_seconds=0.2,
        key_cache_seconds=1,
        feedback_refresh_seconds=0,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def activity(id: str, *tags: str, **fields: object) -> Activity:
    """A small activity for tests; tags as ``framework:strand:level`` strings."""
    from recommender.activities import Tag

    data: dict[str, object] = {
        "id": id,
        "title": f"Activity {id}",
        "description": f"Description of activity {id}.",
        "format": "online",
        "duration_hours": 2.0,
        "cost": 0.0,
        "tags": tuple(Tag.parse(t) for t in tags),
    }
    data.update(fields)
    return Activity.model_validate(data)


def run_cli(*args: str) -> tuple[int, str, str]:
    """`cpdrec ARGS` in process; returns (exit code, stdout, stderr)."""
    from typer.testing import CliRunner

    from service.cli import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point the CLI at the same database, data folder and models folder as `settings`."""
    assert settings.database_url is not None
    monkeypatch.setenv("CPDREC_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CPDREC_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CPDREC_MODELS_DIR", str(settings.models_dir))
    return settings


def make_key(org: str, *scopes: str) -> str:
    code, out, err = run_cli(
        "keys", "create", "--org", org, *(arg for s in scopes for arg in ("--scope", s))
    )
    assert code == 0, err
    return out.strip()


@pytest.fixture
def tenants(cli_env: Settings) -> dict[str, dict[str, dict[str, str]]]:
    """Two organisations, `college-a` (uses the shared catalogue) and `school-b` (does not),
    each with a key per scope, as Authorization headers."""
    for args in (["college-a"], ["school-b", "--no-shared-catalogue"]):
        assert run_cli("orgs", "create", *args)[0] == 0
    return {
        org: {
            scope: {"Authorization": f"Bearer {make_key(org, scope)}"}
            for scope in ("recommend", "subjects", "catalogue:write", "reports", "admin")
        }
        for org in ("college-a", "school-b")
    }


@pytest.fixture
def api(cli_env: Settings, tenants: dict[str, dict[str, dict[str, str]]]) -> Iterator[TestClient]:
    """One app, as one server process, with both organisations' keys made."""
    with TestClient(create_app(cli_env)) as client:
        yield client


@pytest.fixture
def browsers(api: TestClient) -> Callable[[dict[str, str]], Browser]:
    """Opens a browser signed in with the key in these API headers."""
    return lambda headers: Browser(api, headers["Authorization"].removeprefix("Bearer "))
