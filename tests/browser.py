"""Shared pieces of the browser tests: a real `cpdrec serve`, Debian's Chromium via Playwright,
and the accessibility check every page must pass.

Set `CPDREC_SCREENSHOT_DIR` to keep the screenshots the tests take (the README's come from
`CPDREC_SCREENSHOT_DIR=docs/screenshots pytest tests/test_browser.py`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from sqlalchemy.orm import Session

from service import accounts, store
from service.db import make_engine
from service.settings import Settings
from tests.test_live_ranking import free_port, wait_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class Site:
    url: str
    settings: Settings
    keys: dict[str, str]
    """Plaintext keys by role: practitioner, coordinator, other-org, lms, admin."""


def skip_without_browser() -> None:
    if not CHROMIUM.exists() and not os.environ.get("CPDREC_TEST_REQUIRE_BROWSER"):
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")


def serve(tmp: Path) -> Iterator[Site]:
    """A server with two organisations and a key per role, made before it starts."""
    settings = Settings(
        data_dir=tmp / "data", models_dir=tmp / "models", secret_key="browser-test-secret"
    )
    engine = make_engine(settings.db_url)
    store.prepare(engine)
    secret = settings.key_secret()
    with Session(engine) as session:
        accounts.create_org(session, "college-a", "Coleg Cymru", True)
        accounts.create_org(session, "school-b", "School B", True)
        made = {
            "practitioner": accounts.create_key(
                session, "college-a", ["self"], secret, person="alys@coleg.example"
            ),
            "coordinator": accounts.create_key(
                session, "college-a", ["catalogue:write", "reports"], secret
            ),
            "other-org": accounts.create_key(session, "school-b", ["catalogue:write"], secret),
            "lms": accounts.create_key(session, "college-a", ["subjects"], secret),
            "admin": accounts.create_key(session, "college-a", ["admin"], secret),
        }
        session.commit()
    engine.dispose()
    env = {
        **os.environ,
        "CPDREC_DATA_DIR": str(settings.data_dir),
        "CPDREC_MODELS_DIR": str(settings.models_dir),
        "CPDREC_SECRET_KEY": "browser-test-secret",
        "CPDREC_REFRESH_SECONDS": "1",
        "CPDREC_FEEDBACK_REFRESH_SECONDS": "0",
    }
    port = free_port()
    log = tmp / "serve.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=sink,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx2.get(f"{url}/healthz").status_code == 200, 120, proc, log)
        yield Site(url, settings, {role: plaintext for role, (_, plaintext) in made.items()})
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def screenshot_dir(tmp: Path) -> Path:
    chosen = os.environ.get("CPDREC_SCREENSHOT_DIR")
    path = Path(chosen) if chosen else tmp / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
