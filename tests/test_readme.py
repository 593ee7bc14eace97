"""The README's examples are real: its curl output matches the API, its Python snippet runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.test_live_ranking import free_port, wait_for

README = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def curl_body(command: str) -> dict[str, object]:
    match = re.search(r"-d '(.*?)'", command, flags=re.DOTALL)
    assert match, command
    body: dict[str, object] = json.loads(match.group(1))
    return body


def test_documented_recommendation_is_what_the_api_returns(client: TestClient) -> None:
    command = next(b for b in blocks("sh") if '"limit": 3' in b)
    documented = json.loads(next(b for b in blocks("json") if '"profile": "P01"' in b))
    response = client.post("/v1/recommendations", json=curl_body(command))
    assert response.json() == documented


def test_documented_problem_is_what_the_api_returns(client: TestClient) -> None:
    command = next(b for b in blocks("sh") if 'transforming", "target": "embedding' in b)
    documented = json.loads(next(b for b in blocks("json") if "invalid-input" in b))
    response = client.post("/v1/recommendations", json=curl_body(command))
    assert response.status_code == 422 and response.json() == documented


def test_assessment_snippet_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    for code in (b for b in blocks("python") if "assess(" in b):
        namespace: dict[str, object] = {}
        exec(compile(code, "README.md", "exec"), namespace)
        profile = namespace["profile"]
        levels = profile.levels  # type: ignore[attr-defined]
        assert (levels["1.1"].current, levels["1.1"].target) == ("embedding", "transforming")
        assert (levels["1.3"].current, levels["1.3"].target) == (None, "embedding")
    assert os.path.exists("catalogue/frameworks/d2030-commitment.json")


def test_healthz_line_is_true(client: TestClient) -> None:
    documented = re.search(r"reachability: `(\{.*?\})`", README)
    assert documented and client.get("/healthz").json() == json.loads(documented.group(1))


def lms_curls() -> list[str]:
    block = next(b for b in blocks("sh") if "$API/assessments" in b)
    return [line for line in block.splitlines() if line.startswith("curl")]


def test_documented_lms_flow_works_step_by_step(client: TestClient) -> None:
    """Replays the integrators' curl commands in order; each must succeed, and the documented
    recommendations must be what the API answers."""
    documented = json.loads(next(b for b in blocks("json") if '"excluded": 0' in b))
    answers = {}
    for command in lms_curls():
        path = re.search(r"\$API(\S+)", command)
        assert path, command
        method = "DELETE" if "-X DELETE" in command else "POST" if " -d '" in command else "GET"
        body = curl_body(command) if method == "POST" else None
        response = client.request(method, "/v1" + path.group(1), json=body)
        assert response.status_code in (200, 201), (command, response.text)
        answers[path.group(1)] = response.json()
    recommendations = answers["/subjects/moodle:4217/recommendations"]
    assert recommendations | {"assessed_at": ""} == documented | {"assessed_at": ""}
    assert "A024" in answers["/feedback"]["activity"] or answers["/feedback"]["rating"] == 4
    exported = answers["/subjects/moodle:4217/export"]
    assert [f["event"] for f in exported["feedback"]] == ["completed", "rated"]
    assert answers["/subjects/moodle:4217"] == {"assessments": 1, "feedback": 2, "sign_in_keys": 0}


def test_documented_python_lms_flow_runs_against_a_real_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The httpx example, against `cpdrec serve` with a `subjects` key; the server's log must
    not contain the subject id it was sent."""
    env = {
        **os.environ,
        "CPDREC_DATA_DIR": str(tmp_path / "data"),
        "CPDREC_MODELS_DIR": str(tmp_path / "models"),
        "CPDREC_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'cpdrec.db'}",
    }
    cpdrec = [sys.executable, "-m", "service.cli"]
    created = subprocess.run(
        [*cpdrec, "keys", "create", "--org", "local", "--scope", "subjects"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [*cpdrec, "serve", "--port", str(port)], env=env, stdout=sink, stderr=sink
        )
    url = f"http://127.0.0.1:{port}"
    closing: list[Any] = []
    try:
        wait_for(lambda: httpx2.get(f"{url}/healthz").status_code == 200, 120, server, log)
        monkeypatch.setenv("CPDREC_URL", url)
        monkeypatch.setenv("CPDREC_KEY", created.stdout.strip())
        code = next(b for b in blocks("python") if "import httpx" in b)
        namespace: dict[str, Any] = {}
        try:
            exec(compile(code, "README.md", "exec"), namespace)
        finally:
            if "lms" in namespace:
                closing.append(namespace["lms"])
        assert namespace["assessment"]["gaps"] == 1
        assert len(namespace["items"]) == 3
        strand = namespace["first"]["id"]
        assert [p["current"] for p in _points(namespace["progress"], strand)] == ["exploring"]
        again = namespace["lms"].post("/subjects/moodle:4217/recommendations", json={"limit": 3})
        assert namespace["items"][0]["activity"] not in [
            i["activity"] for i in again.json()["items"]
        ]
    finally:
        for client in closing:
            client.close()
        server.terminate()
        server.wait(timeout=30)
    written = log.read_text()
    assert "/v1/subjects/<subject>/recommendations" in written
    assert "moodle:4217" not in written and "moodle%3A4217" not in written


def _points(progress: dict[str, Any], strand: str) -> list[dict[str, Any]]:
    return next(s["points"] for s in progress["strands"] if s["strand"] == strand)
