"""The README's examples are real: its curl output matches the API, its Python snippet runs."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

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


def test_python_snippets_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    for code in blocks("python"):
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
