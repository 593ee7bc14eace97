"""The administrator's page for people's sign-in keys: make one, show it once, revoke by key
or by person, and never show who a key belongs to."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.web import Browser, text_of

Tenants = dict[str, dict[str, dict[str, str]]]
Browsers = Callable[[dict[str, str]], Browser]
PERSON = "rhys.evans@coleg.example"


def make_key(admin: Browser, person: str = PERSON) -> str:
    made = admin.post("/people", data={"person": person, "expires_days": "30"})
    assert made.status_code == 201, made.text
    match = re.search(r'<code class="secret" id="new-key-value">([^<]+)</code>', made.text)
    assert match
    return match.group(1)


def test_an_admin_gives_a_person_a_key_that_signs_them_in_as_themselves(
    api: TestClient, browsers: Browsers, tenants: Tenants
) -> None:
    admin = browsers(tenants["college-a"]["admin"])
    key = make_key(admin)
    person = browsers({"Authorization": f"Bearer {key}"})
    home = person.get("/")
    assert "Start your self-assessment" in home.text and "/my-data" in home.text
    listing = admin.get("/people").text
    assert key.split("_")[1] in listing and key not in listing  # the key is shown only once
    assert PERSON not in listing
    events = api.get("/v1/audit", headers=tenants["college-a"]["admin"]).json()
    created = next(e for e in events if e["action"] == "key.create")
    assert created["actor"].startswith("key:") and created["changes"]["scopes"]["to"] == ["self"]


def test_mistakes_are_named_beside_their_fields(browsers: Browsers, tenants: Tenants) -> None:
    admin = browsers(tenants["college-a"]["admin"])
    refused = admin.post("/people", data={"person": "  ", "expires_days": "soon"})
    assert refused.status_code == 422
    page = text_of(refused.text)
    assert "Enter the id your LMS knows them by" in page
    assert "Enter a whole number of days from 1 to 3650" in page
    assert 'id="person" name="person" value="" ' in refused.text
    assert 'aria-invalid="true"' in refused.text


def test_revoking_by_person_or_by_key_ends_their_sign_in(
    browsers: Browsers, tenants: Tenants
) -> None:
    admin = browsers(tenants["college-a"]["admin"])
    first, second = make_key(admin), make_key(admin)
    other = make_key(admin, "someone.else@coleg.example")
    signed_in = [browsers({"Authorization": f"Bearer {k}"}) for k in (first, second, other)]
    revoked = admin.post("/people/revoke", data={"person": PERSON})
    assert revoked.status_code == 303 and revoked.headers["location"] == "/people?revoked=2"
    assert [b.get("/").url.path for b in signed_in] == ["/sign-in", "/sign-in", "/"]
    by_key = admin.post("/people/revoke", data={"key": other.split("_")[1]})
    assert by_key.headers["location"] == "/people?revoked=1"
    assert signed_in[2].get("/").url.path == "/sign-in"


def test_another_organisations_key_cannot_be_revoked(browsers: Browsers, tenants: Tenants) -> None:
    theirs = make_key(browsers(tenants["school-b"]["admin"]), "pupil@school.example")
    pupil = browsers({"Authorization": f"Bearer {theirs}"})
    ours = browsers(tenants["college-a"]["admin"])
    assert ours.post("/people/revoke", data={"key": theirs.split("_")[1]}).status_code == 404
    assert pupil.get("/").url.path == "/"
    assert theirs.split("_")[1] not in ours.get("/people").text


def test_only_admins_and_only_with_the_form_token(browsers: Browsers, tenants: Tenants) -> None:
    coordinator = browsers(tenants["college-a"]["catalogue:write"])
    assert coordinator.get("/people").status_code == 403
    assert coordinator.post("/people", data={"person": PERSON}).status_code == 403
    admin = browsers(tenants["college-a"]["admin"])
    forged = admin.post("/people", data={"person": PERSON}, csrf=False)
    assert forged.status_code == 403
    assert "None yet." in admin.get("/people").text
