"""Coordinators curating their catalogue over HTTP: CRUD with ETags, audit, import/export,
tag review, coverage and frameworks. Runs in open-access mode (the `local` organisation)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.curation import Change
from service.settings import Settings
from tests.conftest import DATA, make_key, run_cli
from tests.test_api import problem
from tests.test_tenancy import TAG, wait_until_current

NEW: dict[str, Any] = {
    "id": "C1",
    "title": "Safeguarding refresher for tutors",
    "description": "Short online refresher on keeping learners safe online.",
    "format": "online",
    "duration_hours": 2,
    "cost": 0,
    "tags": [TAG],
}


def create(client: TestClient, **changes: Any) -> tuple[dict[str, Any], str]:
    response = client.post("/v1/activities", json={**NEW, **changes})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/activities/{response.json()['id']}"
    return response.json(), response.headers["etag"]


def test_create_read_and_conflict_on_a_second_create(client: TestClient) -> None:
    body, etag = create(client)
    assert body["owner"] == "local" and body["version"] == 1 and body["updated_by"]
    read = client.get("/v1/activities/C1")
    assert read.headers["etag"] == etag and read.json()["title"] == NEW["title"]
    problem(client.post("/v1/activities", json=NEW), 409)


def test_stale_write_gets_412_and_nothing_is_overwritten(client: TestClient) -> None:
    _, etag = create(client)
    # two coordinators read the same version; the first saves, the second must not overwrite
    first = client.patch("/v1/activities/C1", json={"title": "First"}, headers={"If-Match": etag})
    assert first.status_code == 200 and first.headers["etag"] != etag
    second = client.put(
        "/v1/activities/C1", json={**NEW, "title": "Second"}, headers={"If-Match": etag}
    )
    assert "changed since you read it" in problem(second, 412)["detail"]
    assert client.get("/v1/activities/C1").json()["title"] == "First"
    retry = client.put(
        "/v1/activities/C1",
        json={**NEW, "title": "Second"},
        headers={"If-Match": first.headers["etag"]},
    )
    assert retry.status_code == 200 and retry.json()["version"] == 3


def test_writes_without_if_match_get_428(client: TestClient) -> None:
    create(client)
    problem(client.put("/v1/activities/C1", json=NEW), 428)
    problem(client.patch("/v1/activities/C1", json={"title": "x"}), 428)
    problem(client.post("/v1/activities/C1/archive"), 428)


def test_patch_is_a_merge_patch_and_validates(client: TestClient) -> None:
    _, etag = create(client)
    cleared = client.patch(
        "/v1/activities/C1",
        content=json.dumps({"cost": None, "format": "mentoring"}),
        headers={"If-Match": etag, "Content-Type": "application/merge-patch+json"},
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["cost"] is None and cleared.json()["format"] == "mentoring"
    assert cleared.json()["title"] == NEW["title"]
    etag = cleared.headers["etag"]
    bad = client.patch("/v1/activities/C1", json={"format": "pigeon"}, headers={"If-Match": etag})
    assert problem(bad, 422)["errors"][0]["field"] == "format"
    renamed = client.patch("/v1/activities/C1", json={"id": "C2"}, headers={"If-Match": etag})
    assert problem(renamed, 422)["errors"][0]["field"] == "id"
    bad_tag = {"tags": [{"framework": "nope", "strand": "1.1", "level": "exploring"}]}
    response = client.patch("/v1/activities/C1", json=bad_tag, headers={"If-Match": etag})
    assert problem(response, 422)["errors"][0]["field"] == "tags[0].framework"
    assert client.get("/v1/activities/C1").headers["etag"] == etag


def test_archive_and_restore_keep_the_activity(client: TestClient) -> None:
    _, etag = create(client)
    archived = client.post("/v1/activities/C1/archive", headers={"If-Match": etag})
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert all(a["id"] != "C1" for a in client.get("/v1/activities?limit=200").json()["items"])
    listed = client.get("/v1/activities?state=archived").json()["items"]
    assert [a["id"] for a in listed] == ["C1"]
    problem(client.delete("/v1/activities/C1"), 405)
    restored = client.post(
        "/v1/activities/C1/restore", headers={"If-Match": archived.headers["etag"]}
    )
    assert restored.json()["archived"] is False


def test_archived_activities_leave_recommendations_without_a_restart(client: TestClient) -> None:
    profile = {
        "framework": "d2030-commitment",
        "levels": {"1.3": {"current": None, "target": "exploring"}},
        "query": "zebra crossing",
        "limit": 50,
    }
    _, etag = create(client, description="Zebra crossing safety for learners online.")
    wait_until_current(client, {})
    assert "C1" in ids(client.post("/v1/recommendations", json=profile))
    client.post("/v1/activities/C1/archive", headers={"If-Match": etag})
    wait_until_current(client, {})
    assert "C1" not in ids(client.post("/v1/recommendations", json=profile))


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["activity"] for item in response.json()["items"]]


def test_audit_says_who_when_and_what_changed(client: TestClient) -> None:
    _, etag = create(client)
    client.patch("/v1/activities/C1", json={"title": "Renamed"}, headers={"If-Match": etag})
    events = client.get("/v1/audit?entity=activity:C1").json()
    assert [e["action"] for e in events] == ["activity.update", "activity.create"]
    assert events[0]["changes"] == {"title": {"from": NEW["title"], "to": "Renamed"}}
    assert events[0]["actor"] == "open-access"
    assert events[0]["at"].endswith(("Z", "+00:00"))
    older = client.get(f"/v1/audit?before_id={events[0]['id']}&entity=activity:C1").json()
    assert [e["id"] for e in older] == [events[1]["id"]]


CSV_HEADER = "id,title,description,format,duration_hours,cost,provider,url,tags\n"


def import_csv(client: TestClient, text: str, dry_run: bool = False) -> Any:
    return client.post(
        f"/v1/catalogue/import?dry_run={str(dry_run).lower()}",
        content=text.encode(),
        headers={"Content-Type": "text/csv"},
    )


def test_import_dry_run_reports_rows_and_changes_nothing(client: TestClient) -> None:
    bad = CSV_HEADER + "N1,T,D,online,1,0,,,\nN2,T,D,pigeon,1,0,,,\nN3,T,D,online,-1,0,,,\n"
    report = import_csv(client, bad, dry_run=True).json()
    assert report["valid"] is False and report["dry_run"] is True
    assert [(e["line"], e["column"], e["field"]) for e in report["errors"]] == [
        (3, 4, "format"),
        (4, 5, "duration_hours"),
    ]
    body = problem(import_csv(client, bad), 422)
    assert body["errors"][0]["line"] == 3
    good = CSV_HEADER + "N1,T,D,online,1,0,,,\n"
    assert import_csv(client, good, dry_run=True).json()["created"] == 1
    assert client.get("/v1/activities?owner=own").json()["total"] == 0


def test_import_is_an_idempotent_upsert_and_export_round_trips(client: TestClient) -> None:
    text = CSV_HEADER + (
        'N1,"=HYPERLINK(""http://x"")",D,online,1.5,0,Prov,,d2030-commitment:1.3:exploring\n'
        "N2,+plus,-minus,mentoring,,,@at,,\n"
    )
    first = import_csv(client, text).json()
    assert (first["created"], first["updated"], first["unchanged"]) == (2, 0, 0)
    again = import_csv(client, text).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert client.get("/v1/activities/N1").json()["title"] == '=HYPERLINK("http://x")'
    exported = client.get("/v1/catalogue/export").text
    cells = [c for row in csv.reader(io.StringIO(exported)) for c in row]
    assert not any(c[:1] in ("=", "+", "-", "@") for c in cells)
    assert "'=HYPERLINK" in exported and "'+plus" in exported
    assert import_csv(client, exported).json()["unchanged"] == 2
    as_json = client.get("/v1/catalogue/export?format=json").json()
    assert [a["id"] for a in as_json] == ["N1", "N2"] and as_json[1]["description"] == "-minus"
    assert client.post("/v1/catalogue/import", json=as_json).json()["unchanged"] == 2


def test_a_failure_in_the_middle_of_an_import_changes_nothing(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_csv(client, CSV_HEADER + "N1,Before,D,online,,,,,\n")
    before = client.get("/v1/catalogue/export").text
    audit_before = client.get("/v1/audit").json()
    calls = {"n": 0}
    real_insert = Change._insert

    def failing_insert(self: Change, activity: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real_insert(self, activity)

    monkeypatch.setattr(Change, "_insert", failing_insert)
    rows = "".join(f"M{i},T{i},D,online,,,,,\n" for i in range(5))
    with TestClient(client.app, raise_server_exceptions=False) as failing:
        response = import_csv(failing, CSV_HEADER + "N1,After,D,online,,,,,\n" + rows)
    assert response.status_code == 500 and calls["n"] == 3
    assert client.get("/v1/catalogue/export").text == before
    assert client.get("/v1/audit").json() == audit_before


def test_import_rejects_unknown_content_types_and_bad_json(client: TestClient) -> None:
    response = client.post(
        "/v1/catalogue/import", content=b"x", headers={"Content-Type": "text/plain"}
    )
    assert problem(response, 422)["errors"][0]["field"] == "content-type"
    response = client.post(
        "/v1/catalogue/import", content=b"[{", headers={"Content-Type": "application/json"}
    )
    assert problem(response, 422)["errors"][0]["line"] == 1


def test_tag_suggestions_and_review(client: TestClient) -> None:
    # our own untagged copy of a shared activity the tagger can place (two suggestions)
    shared = client.get("/v1/activities/A008").json()
    untagged = {"tags": [], "title": shared["title"], "description": shared["description"]}
    _, etag = create(client, **untagged)
    suggestions = client.get("/v1/activities/C1/tag-suggestions").json()
    assert suggestions["given"] == [] and suggestions["suggestions"]
    confidences = [s["confidence"] for s in suggestions["suggestions"]]
    assert confidences == sorted(confidences, reverse=True)
    best, *rest = suggestions["suggestions"]
    accept = {k: best[k] for k in ("framework", "strand", "level")}
    reject = [{k: s[k] for k in ("framework", "strand", "level")} for s in rest]
    reviewed = client.post(
        "/v1/activities/C1/tag-suggestions/review",
        json={"accept": [accept], "reject": reject},
        headers={"If-Match": etag},
    )
    assert reviewed.status_code == 200, reviewed.text
    assert [{**t} for t in reviewed.json()["tags"]] == [
        {**accept, "confidence": 1.0, "inferred": False}
    ]
    again = client.get("/v1/activities/C1/tag-suggestions").json()
    shown = [{k: s[k] for k in ("framework", "strand", "level")} for s in again["suggestions"]]
    assert accept not in shown and not any(r in shown for r in reject)
    stale = client.post(
        "/v1/activities/C1/tag-suggestions/review", json={"accept": []}, headers={"If-Match": etag}
    )
    problem(stale, 412)


def test_coverage_flags_thin_cells(client: TestClient) -> None:
    report = client.get("/v1/catalogue/coverage?framework=naace-srf-5a").json()
    assert len(report["cells"]) == 16 and report["min_activities"] == 2
    assert all(c["total"] == c["given"] + c["inferred"] for c in report["cells"])
    assert report["flagged"] == sum(c["flagged"] for c in report["cells"]) == 0
    problem(client.get("/v1/catalogue/coverage?framework=nope"), 404)
    problem(client.get("/v1/catalogue/coverage"), 422)


def test_coverage_counts_only_active_activities(settings: Settings, cli_env: Settings) -> None:
    run_cli("orgs", "create", "solo", "--no-shared-catalogue")
    headers = {"Authorization": f"Bearer {make_key('solo', 'admin')}"}
    with TestClient(create_app(settings)) as api:
        tag = {"framework": "naace-srf-5a", "strand": "5a-1", "level": "4"}
        for i in range(2):
            api.post("/v1/activities", json={**NEW, "id": f"S{i}", "tags": [tag]}, headers=headers)
        wait_until_current(api, headers)
        cells = api.get("/v1/catalogue/coverage?framework=naace-srf-5a", headers=headers).json()
        cell = next(c for c in cells["cells"] if (c["strand"], c["level"]) == ("5a-1", "4"))
        assert (cell["given"], cell["flagged"], cells["flagged"]) == (2, False, 15)
        etag = api.get("/v1/activities/S0", headers=headers).headers["etag"]
        api.post("/v1/activities/S0/archive", headers={**headers, "If-Match": etag})
        wait_until_current(api, headers)
        cells = api.get("/v1/catalogue/coverage?framework=naace-srf-5a", headers=headers).json()
        cell = next(c for c in cells["cells"] if (c["strand"], c["level"]) == ("5a-1", "4"))
        assert (cell["given"], cell["flagged"]) == (1, True)


INTERCHANGE = DATA / "interchange"


@pytest.mark.parametrize(
    "file,content_type",
    [
        (INTERCHANGE / "digital-safeguarding.case.json", "application/json"),
        (INTERCHANGE / "digital-safeguarding.moodle.csv", "text/csv"),
    ],
)
def test_admins_add_frameworks_in_standard_formats(
    client: TestClient, file: Any, content_type: str
) -> None:
    response = client.post(
        "/v1/frameworks", content=file.read_bytes(), headers={"Content-Type": content_type}
    )
    assert response.status_code == 201, response.text
    added = response.json()
    assert response.headers["location"] == f"/v1/frameworks/{added['id']}"
    assert len(added["strands"]) == 3 and len(added["levels"]) == 3
    assert added["id"] in {f["id"] for f in client.get("/v1/frameworks").json()}
    again = client.post(
        "/v1/frameworks", content=file.read_bytes(), headers={"Content-Type": content_type}
    )
    problem(again, 409)
    case = client.get(f"/v1/frameworks/{added['id']}/case").json()
    assert case["CFDocument"] and len(case["CFItems"]) >= 3


def test_bad_framework_uploads_name_the_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/frameworks", content=b'{"id": "x",', headers={"Content-Type": "application/json"}
    )
    body = problem(response, 422)
    assert body["errors"] and body["errors"][0]["line"] == 1
