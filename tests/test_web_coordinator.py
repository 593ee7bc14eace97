"""The coordinator's web pages over HTTP: catalogue search and paging, add and edit with
conflicts, archive, CSV import, tag review, coverage, the k-anonymous gap heatmap, and who
may do what (scopes, organisations, CSRF)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from service.settings import Settings
from tests.conftest import run_cli
from tests.test_tenancy import wait_until_current
from tests.web import Browser, field_value, text_of

Tenants = dict[str, dict[str, dict[str, str]]]
D2030 = "d2030-commitment"
TAG = f"{D2030}:1.3:exploring"
NEW: dict[str, Any] = {
    "id": "W1",
    "title": "Safeguarding refresher for tutors",
    "description": "Short online refresher on keeping learners safe online.",
    "format": "online",
    "duration_hours": 2,
    "cost": 0,
    "tags": [{"framework": D2030, "strand": "1.3", "level": "exploring"}],
}


@pytest.fixture
def coordinator(browsers: Callable[[dict[str, str]], Browser], tenants: Tenants) -> Browser:
    return browsers(tenants["college-a"]["catalogue:write"])


@pytest.fixture
def writer(tenants: Tenants) -> dict[str, str]:
    return tenants["college-a"]["catalogue:write"]


def input_value(page: str, name: str) -> str:
    """What the input or text area with this id shows."""
    match = re.search(rf'<input[^>]* id="{name}" name="{name}" value="([^"]*)"', page) or re.search(
        rf'<textarea id="{name}" name="{name}"[^>]*>(.*?)</textarea>', page, re.S
    )
    assert match, f"no input {name!r}"
    return html.unescape(match.group(1))


def error_beside(page: str, name: str) -> str | None:
    """The error message shown beside an input, if the input points to it."""
    match = re.search(rf'<p class="error-message" id="{name}-error">(.*?)</p>', page, re.S)
    if match is None:
        return None
    control = re.search(rf'<(?:input|select|textarea)[^>]* id="{name}"[^>]*>', page)
    assert (
        control
        and f"{name}-error" in control.group(0)
        and 'aria-invalid="true"' in (control.group(0))
    )
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).removeprefix("Error:").strip()


def cell(page: str, cell_id: str) -> tuple[str, str]:
    """(class, text) of a heatmap cell."""
    match = re.search(rf'<td class="([^"]*)" id="{re.escape(cell_id)}"[^>]*>(.*?)</td>', page, re.S)
    assert match, f"no cell {cell_id!r}"
    return match.group(1), " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def listed(page: str) -> list[str]:
    return re.findall(r'<tr id="row-\d+" data-activity="([^"]+)">', page)


def form_of(activity: dict[str, Any], **changes: str) -> dict[str, str]:
    """An activity as the edit form posts it."""
    values = {
        name: "" if activity.get(name) is None else str(activity[name])
        for name in ("id", "title", "description", "format", "duration_hours", "cost")
    }
    values |= {"provider": activity.get("provider", ""), "url": activity.get("url", "")}
    tags = activity.get("tags", [])
    values["tags"] = "\n".join(f"{t['framework']}:{t['strand']}:{t['level']}" for t in tags)
    return values | changes


def create(api: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = api.post("/v1/activities", json={**NEW, **changes}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_catalogue_searches_filters_and_pages_like_the_api(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    create(api, writer, tags=[])
    everything = api.get("/v1/activities?limit=200", headers=writer).json()
    first = coordinator.get("/catalogue")
    assert first.status_code == 200
    assert f"Showing 1–25 of {everything['total']}" in first.text
    assert listed(first.text) == [a["id"] for a in everything["items"][:25]]
    second = coordinator.get("/catalogue", page=2)
    assert f"Showing 26–50 of {everything['total']}" in second.text
    assert listed(second.text) == [a["id"] for a in everything["items"][25:50]]
    assert 'href="/catalogue?page=3"' in second.text and 'href="/catalogue"' in second.text
    # filters narrow the list and the pager keeps them
    shared = coordinator.get("/catalogue", owner="shared")
    assert "W1" not in listed(shared.text)
    assert 'href="/catalogue?owner=shared&amp;page=2"' in shared.text
    words = api.get("/v1/activities?q=learners+data&limit=200", headers=writer).json()
    found = coordinator.get("/catalogue", q="learners data")
    assert 0 < words["total"] < 25 and f"of {words['total']}" in found.text
    assert listed(found.text) == [a["id"] for a in words["items"]]
    online = api.get("/v1/activities?format=mentoring&limit=200", headers=writer).json()
    assert (
        listed(coordinator.get("/catalogue", format="mentoring").text)
        == [a["id"] for a in online["items"]][:25]
    )
    # own activities link to their edit page; shared ones are read-only
    own = coordinator.get("/catalogue", owner="own", untagged="1")
    assert listed(own.text) == ["W1"]
    assert 'href="/catalogue/W1/edit"' in own.text and "needs tags" in own.text
    assert 'href="/catalogue/A001/edit"' not in first.text
    assert "Shared, read-only" in first.text
    assert coordinator.get("/catalogue", format="pigeon").status_code == 422


def test_signed_out_visitors_are_sent_to_sign_in(api: TestClient) -> None:
    response = api.get("/catalogue?page=2", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fcatalogue%3Fpage%3D2"


def test_invalid_activity_is_422_with_each_message_beside_its_field(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    typed = {
        "id": "W9",
        "title": "Kept title",
        "description": " ",
        "format": "pigeon",
        "duration_hours": "two",
        "cost": "-1",
        "provider": "Hub",
        "url": "",
        "tags": f"{TAG}\nnot-a-tag",
    }
    response = coordinator.post("/catalogue/new", typed)
    assert response.status_code == 422
    page = response.text
    assert error_beside(page, "description") == "Enter a description"
    assert (
        error_beside(page, "duration_hours") == "Enter a number, like 2 or 1.5, or leave it empty"
    )
    assert "greater than or equal to 0" in (error_beside(page, "cost") or "")
    assert "framework:strand:level" in (error_beside(page, "tags") or "")
    assert error_beside(page, "format") is not None
    assert error_beside(page, "title") is None and error_beside(page, "id") is None
    summary = page[
        page.index('id="error-summary"') : page.index("</div>", page.index("error-summary"))
    ]
    for name in ("description", "format", "duration_hours", "cost", "tags"):
        assert f'href="#{name}"' in summary
    assert input_value(page, "title") == "Kept title"
    assert input_value(page, "duration_hours") == "two"
    assert input_value(page, "tags") == f"{TAG}\nnot-a-tag"
    assert api.get("/v1/activities/W9", headers=writer).status_code == 404
    # corrected, it is added, and the catalogue says so
    fixed = typed | {"description": "Words.", "format": "online", "duration_hours": "2"}
    created = coordinator.post("/catalogue/new", fixed | {"cost": "0", "tags": TAG})
    assert created.status_code == 303
    assert created.headers["location"] == "/catalogue?notice=created&activity=W9"
    assert "Added “Kept title” to your catalogue." in text_of(
        coordinator.get(created.headers["location"]).text
    )
    body = api.get("/v1/activities/W9", headers=writer).json()
    assert (body["title"], body["duration_hours"], body["tags"][0]["strand"]) == (
        "Kept title",
        2.0,
        "1.3",
    )
    # the same id again is a field error, not a crash
    again = coordinator.post("/catalogue/new", fixed | {"cost": "0", "tags": ""})
    assert again.status_code == 422 and "already have an activity" in (
        error_beside(again.text, "id") or ""
    )


def test_edit_saves_audits_the_signed_in_key_and_the_api_sees_it(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    activity = create(api, writer)
    page = coordinator.get("/catalogue/W1/edit").text
    assert input_value(page, "title") == NEW["title"] and input_value(page, "tags") == TAG
    saved = coordinator.post(
        "/catalogue/W1/edit",
        form_of(activity, title="Renamed", cost="12.5", version=field_value(page, "version")),
    )
    assert saved.status_code == 303
    assert "Saved “Renamed”." in text_of(coordinator.get(saved.headers["location"]).text)
    body = api.get("/v1/activities/W1", headers=writer).json()
    assert (body["title"], body["cost"], body["version"]) == ("Renamed", 12.5, 2)
    [event, _] = api.get("/v1/audit?entity=activity:W1", headers=writer).json()
    key_id = coordinator.key.split("_")[1]
    assert event["action"] == "activity.update" and event["actor"] == f"key:{key_id}"
    assert event["changes"]["title"] == {"from": NEW["title"], "to": "Renamed"}


def test_the_edit_page_shows_the_activitys_history(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    activity = create(api, writer)
    page = coordinator.get("/catalogue/W1/edit").text
    coordinator.post(
        "/catalogue/W1/edit",
        form_of(activity, title="Renamed", cost="3", version=field_value(page, "version")),
    )
    history = coordinator.get("/catalogue/W1/edit").text
    rows = re.findall(r"<tr><td>(.*?)</tr>", history[history.index('id="history"') :], re.S)
    cells = [[text_of(c) for c in re.findall(r"(?:<td>)?(.*?)</td>", row, re.S)] for row in rows]
    key_id = coordinator.key.split("_")[1]
    assert [(c[1], c[2], c[3]) for c in cells] == [
        (f"key:{key_id}", "update", "cost, title"),
        (f"key:{writer['Authorization'].split('_')[1]}", "create", "all (new)"),
    ]


def test_the_catalogue_downloads_as_the_api_exports_it_and_round_trips(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    create(api, writer, id="E1", title="=SUM(A1) looks like a formula")
    create(api, writer, id="E2")
    downloaded = coordinator.get("/catalogue/export.csv")
    assert downloaded.headers["content-disposition"] == (
        'attachment; filename="college-a-catalogue.csv"'
    )
    assert downloaded.text == api.get("/v1/catalogue/export", headers=writer).text
    assert "'=SUM(A1)" in downloaded.text  # a spreadsheet shows it as text
    again = upload(coordinator, downloaded.text)
    assert "2 unchanged" in again.text and 'id="import"' not in again.text


def test_a_stale_edit_gets_the_conflict_page_and_can_overwrite_deliberately(
    browsers: Callable[[dict[str, str]], Browser],
    tenants: Tenants,
    api: TestClient,
    writer: dict[str, str],
) -> None:
    activity = create(api, writer)
    first = browsers(tenants["college-a"]["catalogue:write"])
    second = browsers(tenants["college-a"]["admin"])
    version = field_value(first.get("/catalogue/W1/edit").text, "version")
    assert field_value(second.get("/catalogue/W1/edit").text, "version") == version
    saved = first.post("/catalogue/W1/edit", form_of(activity, title="From first", version=version))
    assert saved.status_code == 303
    mine = form_of(activity, title="From second", description="Mine too.", version=version)
    conflict = second.post("/catalogue/W1/edit", mine)
    assert conflict.status_code == 409
    assert "Someone else saved this activity since you opened it" in conflict.text
    assert 'id="conflict"' in conflict.text
    rows = re.findall(r'<tr data-field="(\w+)">(.*?)</tr>', conflict.text, re.S)
    assert [name for name, _ in rows] == ["title", "description"]
    assert "From first" in rows[0][1] and "From second" in rows[0][1]
    assert input_value(conflict.text, "title") == "From second"  # their input is kept
    assert api.get("/v1/activities/W1", headers=writer).json()["title"] == "From first"
    assert 'id="discard" ' in conflict.text or 'id="discard">' in conflict.text
    # saving again from the conflict page is a deliberate overwrite of the newer version
    newer = field_value(conflict.text, "version")
    assert newer != version
    overwrite = second.post("/catalogue/W1/edit", mine | {"version": newer})
    assert overwrite.status_code == 303
    body = api.get("/v1/activities/W1", headers=writer).json()
    assert (body["title"], body["description"], body["version"]) == ("From second", "Mine too.", 3)


def test_archive_and_restore_are_version_checked(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    create(api, writer)
    version = field_value(coordinator.get("/catalogue/W1/edit").text, "version")
    archived = coordinator.post("/catalogue/W1/archive", {"version": version})
    assert archived.status_code == 303
    assert archived.headers["location"] == "/catalogue/W1/edit?notice=archived&activity=W1"
    page = coordinator.get(archived.headers["location"]).text
    assert "Archived “Safeguarding refresher for tutors”" in text_of(page)
    assert api.get("/v1/activities/W1", headers=writer).json()["archived"] is True
    assert "W1" not in listed(coordinator.get("/catalogue", owner="own").text)
    assert listed(coordinator.get("/catalogue", owner="own", state="archived").text) == ["W1"]
    stale = coordinator.post("/catalogue/W1/restore", {"version": version})
    assert stale.status_code == 409 and "it was not restored" in stale.text
    assert api.get("/v1/activities/W1", headers=writer).json()["archived"] is True
    restored = coordinator.post("/catalogue/W1/restore", {"version": field_value(page, "version")})
    assert restored.status_code == 303
    assert api.get("/v1/activities/W1", headers=writer).json()["archived"] is False


HEADER = "id,title,description,format,duration_hours,cost,provider,url,tags\n"


def upload(browser: Browser, text: str, action: str = "check") -> Response:
    return browser.post(
        "/catalogue/import",
        {"action": action},
        files={"file": ("ours.csv", text.encode(), "text/csv")},
    )


def test_import_dry_run_reports_bad_rows_by_line_and_column_and_changes_nothing(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    bad = HEADER + "N1,Fine,Words,online,1,0,,,\n" + "N2,Bad,Words,webinar,1,0,,,\n"
    response = upload(coordinator, bad)
    assert response.status_code == 422
    table = response.text[response.text.index('id="import-problems"') :]
    [row] = re.findall(r"<tr><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td><td><code>(\w+)</code>", table)
    assert row == ("3", "4", "format")
    assert 'id="import"' not in response.text  # no way to import an invalid file
    assert api.get("/v1/activities?owner=own", headers=writer).json()["total"] == 0


def test_import_shows_each_rows_outcome_then_commits_exactly_those(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    create(api, writer, id="E1")
    create(api, writer, id="E2")
    exported = api.get("/v1/catalogue/export", headers=writer).text
    assert exported.count("\n") == 3
    text = exported.replace("E2,Safeguarding refresher", "E2,Renamed refresher") + (
        'N1,New one,"Two\nlines",mentoring,1,0,,,' + TAG + "\n"
    )
    checked = upload(coordinator, text)
    assert checked.status_code == 200, checked.text
    outcomes = re.findall(r'<tr data-activity="(\w+)">.*?data-outcome="(\w+)"', checked.text, re.S)
    assert outcomes == [("E1", "unchanged"), ("E2", "updated"), ("N1", "created")]
    assert "1 to add, 1 to update, 1 unchanged" in checked.text
    assert api.get("/v1/activities/N1", headers=writer).status_code == 404  # a dry run
    assert api.get("/v1/activities/E2", headers=writer).json()["version"] == 1
    e1_etag = api.get("/v1/activities/E1", headers=writer).headers["etag"]
    imported = coordinator.post(
        "/catalogue/import",
        {
            "action": "import",
            "csv": field_value(checked.text, "csv"),
            "filename": field_value(checked.text, "filename"),
        },
    )
    assert imported.status_code == 303
    assert (
        "Imported your file: 1 added, 1 updated."
        in coordinator.get(imported.headers["location"]).text
    )
    assert api.get("/v1/activities/N1", headers=writer).json()["description"] == "Two\nlines"
    assert api.get("/v1/activities/E2", headers=writer).json()["title"].startswith("Renamed")
    assert api.get("/v1/activities/E1", headers=writer).headers["etag"] == e1_etag
    assert api.get("/v1/activities?owner=own", headers=writer).json()["total"] == 3
    # the same file again changes nothing, so there is nothing to confirm
    again = upload(coordinator, text)
    assert "3 unchanged" in again.text and 'id="import"' not in again.text


def test_tag_review_accepts_and_rejects_for_good(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    shared = api.get("/v1/activities/A008", headers=writer).json()
    create(api, writer, tags=[], title=shared["title"], description=shared["description"])
    page = coordinator.get("/catalogue/W1/tags").text
    suggested = re.findall(r'<fieldset class="suggestion" data-tag="([^"]+)">', page)
    assert len(suggested) >= 2 and re.search(r"confidence \d+%", page)
    best, worst = suggested[0], suggested[-1]
    decisions = {f"review.{best}": "accept", f"review.{worst}": "reject"}
    stale = {"version": '"college-a-0"', **decisions}
    assert coordinator.post("/catalogue/W1/tags", stale).status_code == 409
    done = coordinator.post(
        "/catalogue/W1/tags", {"version": field_value(page, "version"), **decisions}
    )
    assert done.status_code == 303
    assert "Saved your review" in text_of(coordinator.get(done.headers["location"]).text)
    body = api.get("/v1/activities/W1", headers=writer).json()
    assert [f"{t['framework']}:{t['strand']}:{t['level']}" for t in body["tags"]] == [best]
    again = coordinator.get("/catalogue/W1/tags").text
    assert f'data-tag="{worst}"' not in again and f'<tr data-tag="{best}">' in again
    api_left = api.get("/v1/activities/W1/tag-suggestions", headers=writer).json()["suggestions"]
    assert all(f"{s['framework']}:{s['strand']}:{s['level']}" != worst for s in api_left)


def test_coverage_flags_thin_cells_in_words(
    browsers: Callable[[dict[str, str]], Browser], api: TestClient, tenants: Tenants
) -> None:
    admin = tenants["school-b"]["admin"]  # no shared catalogue: every cell starts empty
    tag = {"framework": "naace-srf-5a", "strand": "5a-1", "level": "4"}
    for i in range(2):
        create(api, admin, id=f"S{i}", tags=[tag])
    wait_until_current(api, admin)
    page = browsers(admin).get("/coverage", framework="naace-srf-5a").text
    classes, text = cell(page, "cell-5a-1-4")
    assert "heat-flag" not in classes and text == "2 2 tagged, 0 inferred"
    classes, text = cell(page, "cell-5a-2-4")
    assert "heat-flag" in classes and "thin" in text.split()
    report = api.get("/v1/catalogue/coverage?framework=naace-srf-5a", headers=admin).json()
    assert f"{report['flagged']} of 16 cells are thin" in page
    assert '<option value="naace-srf-5a" selected>' in page
    # with no framework chosen, the first one is shown
    assert f'<option value="{D2030}" selected>' in browsers(admin).get("/coverage").text


def test_gap_heatmap_withholds_counts_below_five(
    browsers: Callable[[dict[str, str]], Browser], api: TestClient, tenants: Tenants
) -> None:
    lms = tenants["college-a"]["subjects"]
    for n in range(5):  # five people need 1.1 at embedding; four of them transforming too
        target = "transforming" if n < 4 else "embedding"
        body = {"subject": f"p{n}", "framework": D2030, "levels": {"1.1": "exploring"}}
        response = api.post(
            "/v1/assessments", json=body | {"targets": {"1.1": target}}, headers=lms
        )
        assert response.status_code == 201, response.text
    page = browsers(tenants["college-a"]["reports"]).get("/gaps", framework=D2030).text
    classes, text = cell(page, "cell-1.1-embedding")
    assert "heat-hidden" not in classes and text.startswith("5 people")
    classes, text = cell(page, "cell-1.1-transforming")
    assert classes == "heat-hidden" and text.startswith("fewer than 5")
    assert "4" not in text.split()[:3] and 'data-subjects="4"' not in page
    assert "Based on the latest self-assessments of 5 people." in page
    other = browsers(tenants["school-b"]["reports"]).get("/gaps").text
    assert "so the total is withheld too" in text_of(other) and "data-subjects" not in other


def test_pages_need_their_scope(
    browsers: Callable[[dict[str, str]], Browser], tenants: Tenants, cli_env: Settings
) -> None:
    code, out, err = run_cli(
        "keys", "create", "--org", "college-a", "--scope", "self", "--person", "t1"
    )
    assert code == 0, err
    person = browsers({"Authorization": f"Bearer {out.strip()}"})
    for url in ("/catalogue", "/catalogue/new", "/catalogue/import", "/coverage", "/gaps"):
        assert person.get(url).status_code == 403, url
    assert person.post("/catalogue/new", form_of(NEW)).status_code == 403
    writer = browsers(tenants["college-a"]["catalogue:write"])
    assert writer.get("/gaps").status_code == 403
    reporter = browsers(tenants["college-a"]["reports"])
    assert reporter.get("/gaps").status_code == 200
    assert reporter.get("/catalogue").status_code == 403
    assert reporter.get("/coverage").status_code == 403


def test_another_organisation_cannot_see_or_change_an_activity(
    browsers: Callable[[dict[str, str]], Browser],
    tenants: Tenants,
    api: TestClient,
    writer: dict[str, str],
) -> None:
    activity = create(api, writer)
    other = browsers(tenants["school-b"]["admin"])
    assert "W1" not in other.get("/catalogue", state="all").text
    for url in ("/catalogue/W1/edit", "/catalogue/W1/tags", "/catalogue/new?copy=W1"):
        assert other.get(url).status_code == 404, url
    version = '"college-a-1"'
    changed = form_of(activity, title="Hijacked", version=version)
    assert other.post("/catalogue/W1/edit", changed).status_code == 404
    assert other.post("/catalogue/W1/archive", {"version": version}).status_code == 404
    body = api.get("/v1/activities/W1", headers=writer).json()
    assert (body["title"], body["archived"], body["version"]) == (NEW["title"], False, 1)


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    activity = create(api, writer)
    version = field_value(coordinator.get("/catalogue/W1/edit").text, "version")
    forged = form_of(activity, title="Forged", version=version)
    assert coordinator.post("/catalogue/W1/edit", forged, csrf=False).status_code == 403
    wrong = forged | {"csrf_token": "0" * 64}
    assert coordinator.post("/catalogue/W1/edit", wrong, csrf=False).status_code == 403
    new = form_of(NEW, id="W2")
    assert coordinator.post("/catalogue/new", new, csrf=False).status_code == 403
    archive = coordinator.post("/catalogue/W1/archive", {"version": version}, csrf=False)
    assert archive.status_code == 403
    body = api.get("/v1/activities/W1", headers=writer).json()
    assert (body["title"], body["archived"], body["version"]) == (NEW["title"], False, 1)
    assert api.get("/v1/activities/W2", headers=writer).status_code == 404
