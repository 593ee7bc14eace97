"""The coordinator's default-targets page over HTTP: it saves what the API's PUT saves (audited
as the signed-in key), shows it back, adds and removes roles, reports bad input beside the
field without saving, checks scope, CSRF and organisation, and practitioners see the result."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.test_web_practitioner import selected, self_key, walk
from tests.web import Browser, text_of

Tenants = dict[str, dict[str, dict[str, str]]]
Browsers = Callable[[dict[str, str]], Browser]
D2030 = "d2030-commitment"
PAGE = f"/targets?framework={D2030}"


@pytest.fixture
def coordinator(browsers: Browsers, tenants: Tenants) -> Browser:
    return browsers(tenants["college-a"]["catalogue:write"])


@pytest.fixture
def writer(tenants: Tenants) -> dict[str, str]:
    return tenants["college-a"]["catalogue:write"]


def policy(api: TestClient, headers: dict[str, str]) -> dict[str, object]:
    body = api.get(f"/v1/frameworks/{D2030}/targets", headers=headers).json()
    return {"targets": body["targets"], "roles": body["roles"]}


def save(coordinator: Browser, fields: dict[str, str | list[str]]) -> str:
    """Post the form and follow the redirect: the page it lands on."""
    response = coordinator.post(PAGE, fields)
    assert response.status_code == 303, text_of(response.text)
    assert response.headers["location"] == f"{PAGE}&notice=saved"
    return coordinator.get(response.headers["location"]).text


def roles_shown(page: str) -> list[str]:
    return [
        html.unescape(r) for r in re.findall(r'<fieldset id="role-\d+" data-role="([^"]*)"', page)
    ]


def error_beside(page: str, control: str) -> str | None:
    """The message beside a control, provided the control points to it and is marked invalid."""
    match = re.search(rf'<p class="error-message" id="{control}-error">(.*?)</p>', page, re.S)
    if match is None:
        return None
    tag = re.search(rf'<(?:input|select)[^>]* id="{control}"[^>]*>', page)
    assert tag and f"{control}-error" in tag.group(0) and 'aria-invalid="true"' in tag.group(0)
    return text_of(match.group(1)).removeprefix("Error:").strip()


def test_saving_sets_what_the_api_returns_and_audits_the_signed_in_key(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    page = save(coordinator, {"target-1.1": "embedding", "target-1.3": "exploring"})
    title = api.get(f"/v1/frameworks/{D2030}", headers=writer).json()["title"]
    assert f"Saved default targets for {title}." in text_of(page)
    assert policy(api, writer) == {"targets": {"1.1": "embedding", "1.3": "exploring"}, "roles": {}}
    [event] = api.get(f"/v1/audit?entity=framework:{D2030}", headers=writer).json()
    assert event["action"] == "set-targets"
    assert event["actor"] == f"key:{coordinator.key.split('_')[1]}"
    assert event["changes"]["targets"]["to"] == {"1.1": "embedding", "1.3": "exploring"}


def test_the_page_shows_the_saved_values_selected(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    put = {"targets": {"1.2": "transforming"}, "roles": {"assessor": {"1.1": "embedding"}}}
    assert api.put(f"/v1/frameworks/{D2030}/targets", json=put, headers=writer).status_code == 200
    page = coordinator.get("/targets").text  # the first framework by default
    assert selected(page, "target-1.2") == "transforming"
    assert selected(page, "target-1.1") == ""  # "No default"
    assert roles_shown(page) == ["assessor"]
    assert selected(page, "role-0-target-1.1") == "embedding"
    assert selected(page, "role-0-target-1.2") == ""  # "Same as everyone"
    assert 'aria-current="page">Targets</a>' in page
    assert "self-assessment for" in text_of(page)  # says which practitioner pages it changes


def test_a_role_is_added_given_targets_then_removed(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    page = save(coordinator, {"target-1.1": "exploring", "new-role": "  teacher "})
    assert roles_shown(page) == ["teacher"]
    assert policy(api, writer)["roles"] == {"teacher": {}}
    page = save(
        coordinator,
        {"target-1.1": "exploring", "role": "teacher", "role-0-target-1.1": "transforming"},
    )
    assert selected(page, "role-0-target-1.1") == "transforming"
    assert policy(api, writer)["roles"] == {"teacher": {"1.1": "transforming"}}
    kept = {"role": "teacher", "role-0-target-1.1": "transforming", "role-0-remove": "1"}
    page = save(coordinator, {"target-1.1": "exploring", **kept})
    assert roles_shown(page) == []
    assert policy(api, writer) == {"targets": {"1.1": "exploring"}, "roles": {}}


def test_an_unknown_level_is_named_beside_its_field_and_nothing_changes(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    save(coordinator, {"target-1.1": "embedding"})
    sent = {
        "target-1.1": "exploring",
        "role": "teacher",
        "role-0-target-1.2": "mastery",
        "new-role": "assessor",
    }
    response = coordinator.post(PAGE, sent)
    assert response.status_code == 422
    page = response.text
    assert error_beside(page, "role-0-target-2") == "Unknown level 'mastery'"
    assert error_beside(page, "target-1") is None
    assert 'href="#role-0-target-2"' in page  # the summary links to it
    assert selected(page, "target-1.1") == "exploring"  # the person's choices are kept
    assert roles_shown(page) == ["teacher"]
    assert re.search(r'id="new-role" name="new-role" value="assessor"', page)
    assert policy(api, writer) == {"targets": {"1.1": "embedding"}, "roles": {}}
    assert len(api.get(f"/v1/audit?entity=framework:{D2030}", headers=writer).json()) == 1


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("x" * 101, "String should have at most 100 characters"),
        ("teacher", "This role already has a section above"),
    ],
)
def test_a_bad_role_name_is_refused_beside_the_add_field(
    coordinator: Browser, api: TestClient, writer: dict[str, str], role: str, message: str
) -> None:
    save(coordinator, {"new-role": "teacher"})
    response = coordinator.post(PAGE, {"role": "teacher", "new-role": role})
    assert response.status_code == 422
    assert error_beside(response.text, "new-role") == message
    assert policy(api, writer) == {"targets": {}, "roles": {"teacher": {}}}


def test_only_a_catalogue_writer_may_see_or_save(
    browsers: Browsers, tenants: Tenants, api: TestClient, writer: dict[str, str]
) -> None:
    reporter = browsers(tenants["college-a"]["reports"])
    assert reporter.get(PAGE).status_code == 403
    assert reporter.post(PAGE, {"target-1.1": "embedding"}).status_code == 403
    assert 'href="/targets"' not in reporter.get("/").text
    writer_page = browsers(tenants["college-a"]["catalogue:write"]).get("/targets", framework="x")
    assert writer_page.status_code == 404  # a framework the organisation does not have
    assert policy(api, writer) == {"targets": {}, "roles": {}}


def test_a_post_without_the_token_or_from_another_site_changes_nothing(
    coordinator: Browser, api: TestClient, writer: dict[str, str]
) -> None:
    fields = {"target-1.1": "embedding"}
    assert coordinator.post(PAGE, fields, csrf=False).status_code == 403
    foreign = coordinator.post(PAGE, fields, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert policy(api, writer) == {"targets": {}, "roles": {}}
    assert api.get(f"/v1/audit?entity=framework:{D2030}", headers=writer).json() == []


def test_each_organisation_sees_and_sets_only_its_own(
    coordinator: Browser, browsers: Browsers, tenants: Tenants, api: TestClient
) -> None:
    save(coordinator, {"target-1.1": "embedding", "new-role": "teacher"})
    other = browsers(tenants["school-b"]["catalogue:write"]).get(PAGE).text
    assert selected(other, "target-1.1") == "" and roles_shown(other) == []
    assert "No defaults saved yet." in text_of(other)
    assert policy(api, tenants["school-b"]["catalogue:write"]) == {"targets": {}, "roles": {}}


def test_practitioners_start_from_the_saved_defaults(
    coordinator: Browser, browsers: Browsers, api: TestClient, tenants: Tenants
) -> None:
    save(
        coordinator,
        {"target-1.1": "embedding", "role": "teacher", "role-0-target-1.1": "transforming"},
    )
    lms = tenants["college-a"]["subjects"]
    questionnaire = api.get(f"/v1/frameworks/{D2030}/questionnaire", headers=lms).json()
    assert questionnaire["default_targets"] == {"1.1": "embedding"}
    person = browsers(self_key("college-a"))
    page = walk(person, ["1.1/exploring/0"], {})
    assert selected(page, "target-1.1") == "embedding"
    assert "your organisation's default" in text_of(page)
