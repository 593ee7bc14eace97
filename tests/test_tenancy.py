"""API keys, scopes and isolation between organisations, through HTTP and the CLI."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.conftest import DATA, PROFILE, run_cli
from tests.test_api import problem

Tenants = dict[str, dict[str, dict[str, str]]]
TAG = {"framework": "d2030-commitment", "strand": "1.3", "level": "exploring"}
NEW = {
    "id": "OWN1",
    "title": "College A induction",
    "description": "Our own.",
    "format": "online",
    "tags": [TAG],
}


@pytest.fixture
def own_activity(api: TestClient, tenants: Tenants) -> dict[str, Any]:
    """An activity only college-a has."""
    response = api.post("/v1/activities", json=NEW, headers=tenants["college-a"]["admin"])
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_v1_endpoint_needs_a_key_once_one_exists(api: TestClient) -> None:
    operations = [
        (method.upper(), path)
        for path, methods in api.get("/openapi.json").json()["paths"].items()
        for method in methods
        if path.startswith("/v1")
    ]
    assert len(operations) >= 17
    for method, path in operations:
        concrete = (
            path.replace("{activity_id}", "A001")
            .replace("{framework_id}", "naace-srf-5a")
            .replace("{subject_id}", "moodle:1")
        )
        response = api.request(method, concrete)
        body = problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "Bearer" in body["detail"]
    assert api.get("/healthz").status_code == 200
    assert api.get("/openapi.json").status_code == 200


def test_wrong_revoked_and_malformed_keys_get_401(api: TestClient, tenants: Tenants) -> None:
    good = tenants["college-a"]["recommend"]
    assert api.post("/v1/recommendations", json=PROFILE, headers=good).status_code == 200
    token = good["Authorization"].removeprefix("Bearer ")
    for bad in ("cpd_nope", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 60):
        problem(api.get("/v1/frameworks", headers={"Authorization": f"Bearer {bad}"}), 401)
    key_id = token.split("_")[1]
    assert run_cli("keys", "revoke", key_id)[0] == 0
    # the process trusts a verified key for key_cache_seconds (1 s in these tests)
    deadline = time.monotonic() + 10
    while api.post("/v1/recommendations", json=PROFILE, headers=good).status_code == 200:
        assert time.monotonic() < deadline, "a revoked key kept working"
        time.sleep(0.1)
    problem(api.post("/v1/recommendations", json=PROFILE, headers=good), 401)


@pytest.mark.parametrize(
    "scope,method,path,allowed",
    [
        ("recommend", "POST", "/v1/recommendations", True),
        ("recommend", "GET", "/v1/activities", True),
        ("recommend", "POST", "/v1/activities", False),
        ("recommend", "GET", "/v1/audit", False),
        ("recommend", "POST", "/v1/catalogue/import", False),
        ("catalogue:write", "POST", "/v1/activities", True),
        ("catalogue:write", "GET", "/v1/audit", True),
        ("catalogue:write", "POST", "/v1/recommendations", False),
        ("admin", "POST", "/v1/recommendations", True),
        ("admin", "POST", "/v1/activities", True),
        ("recommend", "POST", "/v1/assessments", False),
        ("catalogue:write", "POST", "/v1/assessments", False),
        ("subjects", "POST", "/v1/assessments", True),
        ("subjects", "GET", "/v1/reports/gaps?framework=d2030-commitment", False),
        ("reports", "GET", "/v1/reports/gaps?framework=d2030-commitment", True),
        ("reports", "POST", "/v1/assessments", False),
        ("recommend", "POST", "/v1/feedback", False),
        ("recommend", "DELETE", "/v1/subjects/moodle:1", False),
    ],
)
def test_scopes(
    api: TestClient, tenants: Tenants, scope: str, method: str, path: str, allowed: bool
) -> None:
    bodies = {
        "/v1/recommendations": PROFILE,
        "/v1/activities": NEW,
        "/v1/catalogue/import": [],
        "/v1/assessments": {"subject": "moodle:1", "framework": "d2030-commitment"},
        "/v1/feedback": {"subject": "moodle:1", "activity": "A001", "event": "viewed"},
    }
    response = api.request(method, path, json=bodies.get(path), headers=tenants["college-a"][scope])
    if allowed:
        assert response.status_code in (200, 201), response.text
    else:
        assert "scope" in problem(response, 403)["detail"]


def test_a_caller_without_the_scope_fits_no_ranker(api: TestClient, tenants: Tenants) -> None:
    """The recommend scope is checked before an organisation's first request fits its ranker,
    so a key that may not recommend cannot make the server fit one."""
    pool = api.app_state["pool"]
    assert pool.current("school-b") is None
    denied = api.post(
        "/v1/recommendations", json=PROFILE, headers=tenants["school-b"]["catalogue:write"]
    )
    assert "scope" in problem(denied, 403)["detail"]
    assert pool.current("school-b") is None
    allowed = api.post(
        "/v1/recommendations", json=PROFILE, headers=tenants["school-b"]["recommend"]
    )
    assert allowed.status_code == 200
    assert pool.current("school-b") is not None


def test_shared_catalogue_is_opt_in(api: TestClient, tenants: Tenants) -> None:
    a = api.post("/v1/recommendations", json=PROFILE, headers=tenants["college-a"]["recommend"])
    assert len(a.json()["items"]) == 5
    b = api.post("/v1/recommendations", json=PROFILE, headers=tenants["school-b"]["recommend"])
    assert b.status_code == 200 and b.json()["items"] == []
    listing = api.get("/v1/activities", headers=tenants["school-b"]["recommend"]).json()
    assert listing["total"] == 0
    assert run_cli("orgs", "set", "school-b", "--shared-catalogue")[0] == 0
    wait_until_current(api, tenants["school-b"]["recommend"])
    b = api.post("/v1/recommendations", json=PROFILE, headers=tenants["school-b"]["recommend"])
    assert len(b.json()["items"]) == 5
    assert run_cli("orgs", "set", "nowhere", "--shared-catalogue")[0] == 2
    # shared frameworks are visible to everyone
    frameworks = api.get("/v1/frameworks", headers=tenants["school-b"]["recommend"]).json()
    assert {f["id"] for f in frameworks} == {"d2030-commitment", "naace-srf-5a"}


OWN_FRAMEWORK = DATA / "interchange" / "digital-safeguarding.case.json"


def test_another_organisation_can_reach_none_of_our_data_through_any_endpoint(
    api: TestClient, tenants: Tenants, own_activity: dict[str, Any]
) -> None:
    ours = tenants["college-a"]["admin"]
    added = api.post(
        "/v1/frameworks",
        content=OWN_FRAMEWORK.read_bytes(),
        headers={**ours, "Content-Type": "application/json"},
    )
    assert added.status_code == 201, added.text
    fw = added.json()["id"]
    url = "/v1/activities/OWN1"
    etag = api.get(url, headers=ours).headers["etag"]
    person = "moodle:1"
    assessed = api.post(
        "/v1/assessments",
        json={"subject": person, "framework": fw, "levels": {}, "targets": {}},
        headers=ours,
    )
    assert assessed.status_code == 201, assessed.text
    api.post(
        "/v1/feedback",
        json={"subject": person, "activity": "OWN1", "event": "viewed"},
        headers=ours,
    )
    ours_before = api.get(f"/v1/subjects/{person}/export", headers=ours).json()
    subject_url = f"/v1/subjects/{person}"
    other = tenants["school-b"]["admin"]
    write = {**other, "If-Match": etag}

    def absent(response: Any) -> bool:
        return "OWN1" not in response.text and fw not in response.text

    checks: dict[tuple[str, str], Any] = {
        ("GET", "/v1/activities/{activity_id}"): lambda: problem(api.get(url, headers=other), 404),
        ("PUT", "/v1/activities/{activity_id}"): lambda: problem(
            api.put(url, json=NEW, headers=write), 404
        ),
        ("PATCH", "/v1/activities/{activity_id}"): lambda: problem(
            api.patch(url, json={"title": "Hacked"}, headers=write), 404
        ),
        ("POST", "/v1/activities/{activity_id}/archive"): lambda: problem(
            api.post(f"{url}/archive", headers=write), 404
        ),
        ("POST", "/v1/activities/{activity_id}/restore"): lambda: problem(
            api.post(f"{url}/restore", headers=write), 404
        ),
        ("GET", "/v1/activities/{activity_id}/tag-suggestions"): lambda: problem(
            api.get(f"{url}/tag-suggestions", headers=other), 404
        ),
        ("POST", "/v1/activities/{activity_id}/tag-suggestions/review"): lambda: problem(
            api.post(f"{url}/tag-suggestions/review", json={}, headers=write), 404
        ),
        ("GET", "/v1/activities"): lambda: absent(
            api.get("/v1/activities?state=all", headers=other)
        ),
        ("GET", "/v1/catalogue/export"): lambda: absent(
            api.get("/v1/catalogue/export", headers=other)
        ),
        ("GET", "/v1/audit"): lambda: absent(api.get("/v1/audit", headers=other)),
        ("GET", "/v1/catalogue/status"): lambda: absent(
            api.get("/v1/catalogue/status", headers=other)
        ),
        ("GET", "/v1/frameworks"): lambda: absent(api.get("/v1/frameworks", headers=other)),
        ("GET", "/v1/frameworks/{framework_id}"): lambda: problem(
            api.get(f"/v1/frameworks/{fw}", headers=other), 404
        ),
        ("GET", "/v1/frameworks/{framework_id}/case"): lambda: problem(
            api.get(f"/v1/frameworks/{fw}/case", headers=other), 404
        ),
        ("GET", "/v1/catalogue/coverage"): lambda: problem(
            api.get(f"/v1/catalogue/coverage?framework={fw}", headers=other), 404
        ),
        ("POST", "/v1/recommendations"): lambda: problem(
            api.post(
                "/v1/recommendations",
                json={"framework": fw, "levels": {}},
                headers=other,
            ),
            422,
        ),
        ("GET", "/v1/frameworks/{framework_id}/questionnaire"): lambda: problem(
            api.get(f"/v1/frameworks/{fw}/questionnaire", headers=other), 404
        ),
        ("GET", "/v1/frameworks/{framework_id}/targets"): lambda: problem(
            api.get(f"/v1/frameworks/{fw}/targets", headers=other), 404
        ),
        ("PUT", "/v1/frameworks/{framework_id}/targets"): lambda: problem(
            api.put(f"/v1/frameworks/{fw}/targets", json={}, headers=other), 404
        ),
        ("GET", "/v1/reports/gaps"): lambda: problem(
            api.get(f"/v1/reports/gaps?framework={fw}", headers=other), 404
        ),
        ("POST", "/v1/subjects/{subject_id}/recommendations"): lambda: problem(
            api.post(f"{subject_url}/recommendations", json={}, headers=other), 404
        ),
        ("GET", "/v1/subjects/{subject_id}/progress"): lambda: problem(
            api.get(f"{subject_url}/progress", headers=other), 404
        ),
        ("GET", "/v1/subjects/{subject_id}/export"): lambda: problem(
            api.get(f"{subject_url}/export", headers=other), 404
        ),
        ("DELETE", "/v1/subjects/{subject_id}"): lambda: problem(
            api.delete(subject_url, headers=other), 404
        ),
        ("POST", "/v1/assessments"): lambda: problem(
            api.post("/v1/assessments", json={"subject": person, "framework": fw}, headers=other),
            422,
        ),
        ("POST", "/v1/feedback"): lambda: problem(
            api.post(
                "/v1/feedback",
                json={"subject": person, "activity": "OWN1", "event": "dismissed"},
                headers=other,
            ),
            422,
        ),
        # an xAPI statement about our activity is ignored: it is not in their catalogue
        ("POST", "/v1/xapi/statements"): lambda: (
            api.post(
                "/v1/xapi/statements",
                json={
                    "actor": {"account": {"homePage": "https://lms.example", "name": person}},
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                    "object": {"id": "urn:cpdrec:activity:OWN1"},
                },
                headers=other,
            ).status_code
            == 200
        ),
        # writes of school-b land in school-b's catalogue, never in ours
        ("POST", "/v1/activities"): lambda: (
            api.post("/v1/activities", json={**NEW, "title": "B's"}, headers=other).status_code
            == 201
        ),
        ("POST", "/v1/catalogue/import"): lambda: (
            api.post(
                "/v1/catalogue/import", json=[{**NEW, "title": "B's again"}], headers=other
            ).json()["updated"]
            == 1
        ),
        ("POST", "/v1/frameworks"): lambda: (
            api.post(
                "/v1/frameworks",
                content=OWN_FRAMEWORK.read_bytes(),
                headers={**other, "Content-Type": "application/json"},
            ).status_code
            == 201
        ),
    }
    operations = {
        (method.upper(), path)
        for path, methods in api.get("/openapi.json").json()["paths"].items()
        for method in methods
        if path.startswith("/v1")
    }
    assert operations == set(checks), "every endpoint needs an isolation check"
    for operation, check in checks.items():
        assert check(), operation
    mine = api.get(url, headers=ours)
    assert mine.json()["title"] == NEW["title"] and mine.headers["etag"] == etag
    assert api.get(f"{subject_url}/export", headers=ours).json() == ours_before
    assert api.get(f"/v1/frameworks/{fw}", headers=ours).status_code == 200


def test_shared_activities_are_read_only_for_other_organisations(
    api: TestClient, tenants: Tenants
) -> None:
    headers = tenants["college-a"]["admin"]
    read = api.get("/v1/activities/A001", headers=headers)
    assert read.json()["owner"] == "shared"
    body = problem(
        api.patch(
            "/v1/activities/A001",
            json={"title": "x"},
            headers={**headers, "If-Match": read.headers["etag"]},
        ),
        403,
    )
    assert "shared" in body["detail"]


def test_recommendations_use_only_the_callers_catalogue(
    api: TestClient, tenants: Tenants, own_activity: dict[str, Any]
) -> None:
    tagged = {
        **NEW,
        "id": "OWN2",
        "tags": [{"framework": "d2030-commitment", "strand": "1.3", "level": "exploring"}],
    }
    api.post("/v1/activities", json=tagged, headers=tenants["college-a"]["admin"])
    profile = {
        "framework": "d2030-commitment",
        "levels": {"1.3": {"current": None, "target": "exploring"}},
        "limit": 50,
    }
    headers_b = tenants["school-b"]["admin"]
    api.post("/v1/activities", json={**tagged, "id": "B-ONLY"}, headers=headers_b)

    def ids(headers: dict[str, str]) -> set[str]:
        response = api.post("/v1/recommendations", json=profile, headers=headers)
        return {item["activity"] for item in response.json()["items"]}

    wait_until_current(api, tenants["college-a"]["recommend"])
    wait_until_current(api, headers_b)
    assert "OWN2" in ids(tenants["college-a"]["recommend"])
    assert "B-ONLY" not in ids(tenants["college-a"]["recommend"])
    assert ids(headers_b) == {"B-ONLY"}


def wait_until_current(api: TestClient, headers: dict[str, str], seconds: float = 30) -> None:
    """Block until the caller's ranker reflects the latest catalogue version."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if api.get("/v1/catalogue/status", headers=headers).json()["up_to_date"]:
            return
        time.sleep(0.05)
    raise AssertionError("the ranker was not rebuilt in time")


def test_open_access_acts_as_local_until_the_first_key(
    settings: Settings, cli_env: Settings
) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/recommendations", json=PROFILE).status_code == 200
        key = run_cli("keys", "create", "--org", "local", "--scope", "recommend")[1].strip()
        problem(client.post("/v1/recommendations", json=PROFILE), 401)
        ok = client.post(
            "/v1/recommendations", json=PROFILE, headers={"Authorization": f"Bearer {key}"}
        )
        assert ok.status_code == 200


def test_open_access_can_be_switched_off(settings: Settings) -> None:
    closed = settings.model_copy(update={"open_access": False})
    with TestClient(create_app(closed)) as client:
        problem(client.post("/v1/recommendations", json=PROFILE), 401)
