"""Several server processes on one database: a change made through one is ranked by the
other within seconds, without a restart."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.test_tenancy import TAG

PROFILE = {
    "framework": "d2030-commitment",
    "levels": {"1.3": {"current": None, "target": "exploring"}},
    "query": "quokka",
    "limit": 3,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[str]]:
    env = {
        **os.environ,
        "CPDREC_DATABASE_URL": database_url,
        "CPDREC_DATA_DIR": str(tmp_path / "data"),
        "CPDREC_MODELS_DIR": str(tmp_path / "models"),
        "CPDREC_SECRET_KEY": "test-secret",
        "CPDREC_REFRESH_SECONDS": "1",
    }
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"serve-{port}.log" for port in ports]
    procs = []
    for port, log in zip(ports, logs, strict=True):
        with log.open("wb") as sink:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=sink,
                )
            )
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, proc, log in zip(urls, procs, logs, strict=True):
            wait_for(lambda u=url: httpx.get(f"{u}/healthz").status_code == 200, 120, proc, log)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)


def wait_for(
    condition: object,
    seconds: float,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> float:
    """Seconds until `condition()` held; fails after `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(log.read_text() if log else "the server exited")
        try:
            if condition():  # type: ignore[operator]
                return time.monotonic() - start
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not true within {seconds} s")


def recommended(url: str) -> list[str]:
    response = httpx.post(f"{url}/v1/recommendations", json=PROFILE, timeout=30)
    assert response.status_code == 200, response.text
    return [item["activity"] for item in response.json()["items"]]


def test_a_change_through_one_process_reaches_the_other(servers: list[str]) -> None:
    writer, reader = servers
    assert "Q1" not in recommended(reader)
    new = {
        "id": "Q1",
        "title": "Quokka-themed online safety escape room",
        "description": "Learners solve quokka puzzles about staying safe online.",
        "format": "online",
        "tags": [TAG],
    }
    assert httpx.post(f"{writer}/v1/activities", json=new).status_code == 201
    waited = wait_for(lambda: recommended(reader)[:1] == ["Q1"], 30)
    assert waited < 30
    etag = httpx.get(f"{writer}/v1/activities/Q1").headers["etag"]
    archived = httpx.post(f"{writer}/v1/activities/Q1/archive", headers={"If-Match": etag})
    assert archived.status_code == 200
    wait_for(lambda: "Q1" not in recommended(reader), 30)
