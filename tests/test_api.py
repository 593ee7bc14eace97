"""The HTTP API through FastAPI's test client, on an embedded database in a temp folder."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PROFILE


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith("urn:cpdrec:problem:")
    return body


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_recommendations_contract(client: TestClient) -> None:
    response = client.post("/v1/recommendations", json={**PROFILE, "limit": 4})
    assert response.status_code == 200
    body = response.json()
    assert body["profile"] == "P01" and len(body["items"]) == 4
    for item in body["items"]:
        assert {"activity", "score", "addresses", "why", "title", "format"} <= item.keys()
        assert item["addresses"][0]["strand"] in {"1.1", "1.3"}
        assert item["why"].endswith(".")
    assert {i["addresses"][0]["strand"] for i in body["items"]} == {"1.1", "1.3"}
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)


def test_recommendations_default_limit_constraints_and_no_gap(client: TestClient) -> None:
    body = client.post("/v1/recommendations", json=PROFILE).json()
    assert len(body["items"]) == 5
    free = client.post(
        "/v1/recommendations",
        json={**PROFILE, "constraints": {"max_cost": 0, "formats": ["online", "self-paced"]}},
    ).json()
    assert free["items"] and all(
        i["cost"] == 0 and i["format"] in {"online", "self-paced"} for i in free["items"]
    )
    met = {"framework": "naace-srf-5a", "levels": {"5a-1": {"current": "1", "target": "1"}}}
    assert client.post("/v1/recommendations", json=met).json()["items"] == []


@pytest.mark.parametrize(
    "change,field",
    [
        ({"framework": "nope"}, "framework"),
        ({"levels": {"9.9": {"target": "embedding"}}}, "levels.9.9"),
        ({"levels": {"1.1": {"current": "novice", "target": "embedding"}}}, "levels.1.1.current"),
        (
            {"levels": {"1.1": {"current": "transforming", "target": "exploring"}}},
            "levels.1.1.target",
        ),
        ({"priorities": {"1.1": -1}}, "priorities.1.1"),
        ({"priorities": {"1.1": "urgent"}}, "priorities.1.1"),
        ({"priorities": {"9.9": 1}}, "priorities.9.9"),
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"constraints": {"formats": ["webinar"]}}, "constraints.formats.0"),
        ({"constraints": {"max_duration_hours": -1}}, "constraints.max_duration_hours"),
        ({"unexpected": True}, "unexpected"),
    ],
)
def test_bad_profiles_get_422_naming_the_field(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    body = problem(client.post("/v1/recommendations", json={**PROFILE, **change}), 422)
    assert [e["field"] for e in body["errors"]] == [field]
    assert field in body["detail"]


def test_malformed_json_gets_400(client: TestClient) -> None:
    response = client.post(
        "/v1/recommendations",
        content=b'{"framework": ',
        headers={"content-type": "application/json"},
    )
    body = problem(response, 400)
    assert body["errors"][0]["field"] == "body"


def test_body_that_is_not_an_object(client: TestClient) -> None:
    body = problem(client.post("/v1/recommendations", json=[1, 2]), 422)
    assert body["errors"]


def test_frameworks(client: TestClient) -> None:
    listed = {f["id"]: f for f in client.get("/v1/frameworks").json()}
    assert set(listed) == {"d2030-commitment", "naace-srf-5a"}
    assert [lv["id"] for lv in listed["naace-srf-5a"]["levels"]] == ["4", "3", "2", "1"]
    detail = client.get("/v1/frameworks/d2030-commitment").json()
    strand = next(s for s in detail["strands"] if s["id"] == "1.3")
    assert [s["id"] for s in strand["statements"]] == [
        "1.3/exploring/0",
        "1.3/embedding/0",
        "1.3/transforming/0",
    ]
    assert strand["statements"][0]["level_label"] == "Exploring"
    assert len(detail["examples"]) == 7


def test_unknown_framework_is_404(client: TestClient) -> None:
    body = problem(client.get("/v1/frameworks/nope"), 404)
    assert "nope" in body["detail"]


def test_activities_filters(client: TestClient) -> None:
    page = client.get("/v1/activities", params={"limit": 10}).json()
    assert page["total"] == 95 and len(page["items"]) == 10
    cell = client.get(
        "/v1/activities",
        params={"framework": "d2030-commitment", "strand": "1.3", "level": "embedding"},
    ).json()
    assert cell["total"] >= 2
    assert all(
        any(t["strand"] == "1.3" and t["level"] == "embedding" for t in a["tags"])
        for a in cell["items"]
    )
    online = client.get("/v1/activities", params={"format": "online", "limit": 200}).json()
    assert online["total"] > 0 and {a["format"] for a in online["items"]} == {"online"}
    text = client.get("/v1/activities", params={"q": "GDPR"}).json()
    assert text["total"] > 0 and all(
        "gdpr" in (a["title"] + a["description"]).lower() for a in text["items"]
    )
    second = client.get("/v1/activities", params={"limit": 10, "offset": 10}).json()
    assert {a["id"] for a in second["items"]}.isdisjoint({a["id"] for a in page["items"]})


def test_activities_bad_query_parameters(client: TestClient) -> None:
    body = problem(client.get("/v1/activities", params={"format": "webinar"}), 422)
    assert body["errors"][0]["field"] == "format"
    body = problem(client.get("/v1/activities", params={"limit": 0}), 422)
    assert body["errors"][0]["field"] == "limit"


def test_activity_by_id(client: TestClient) -> None:
    a = client.get("/v1/activities/A001").json()
    assert a["id"] == "A001" and a["tags"] and a["tags"][0]["inferred"] is False
    problem(client.get("/v1/activities/NOPE"), 404)


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    problem(client.get("/v1/nothing-here"), 404)


def test_openapi_documents_problem_responses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/v1/recommendations"]["post"]
    assert {"200", "400", "422"} <= post["responses"].keys()
    assert client.get("/docs").status_code == 200


def test_second_start_reuses_data_and_artifact(settings: Any) -> None:
    from service.app import create_app

    with TestClient(create_app(settings)) as first:
        first.get("/healthz")
    artifacts = sorted(settings.models_dir.glob("ranker-*.joblib"))
    assert len(artifacts) == 1
    mtime = artifacts[0].stat().st_mtime_ns
    with TestClient(create_app(settings)) as second:
        assert second.get("/v1/catalogue/status").json()["activities"] == 95
    assert artifacts[0].stat().st_mtime_ns == mtime


def test_wrong_method_is_a_problem_with_allow_header(client: TestClient) -> None:
    response = client.delete("/v1/recommendations")
    problem(response, 405)
    assert response.headers["allow"] == "POST"
