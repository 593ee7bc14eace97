"""Sign-in and the practitioner's pages over HTTP: sessions, CSRF, the questionnaire's steps,
targets, results, feedback, progress, and a person's own export and erasure."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

import catalogue
from service.settings import Settings
from tests.conftest import run_cli
from tests.test_subjects import dump_database
from tests.web import Browser, text_of

Tenants = dict[str, dict[str, dict[str, str]]]
Browsers = Callable[[dict[str, str]], Browser]
D2030 = "d2030-commitment"
PERSON = "alys.jones@coleg.example"


def self_key(org: str, person: str = PERSON) -> dict[str, str]:
    code, out, err = run_cli("keys", "create", "--org", org, "--scope", "self", "--person", person)
    assert code == 0, err
    return {"Authorization": f"Bearer {out.strip()}"}


@pytest.fixture
def alys(api: TestClient, browsers: Browsers) -> Browser:
    return browsers(self_key("college-a"))


def signed_out(person: Browser) -> bool:
    return person.get("/").url.path == "/sign-in"


def h1(page: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert match
    return text_of(match.group(1))


def hidden_fields(page: str) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
        if name != "csrf_token"
    ]


def walk(person: Browser, affirmed: list[str], chosen: dict[str, str]) -> str:
    """Answer every step as a browser would (each step's fields plus the hidden ones it was
    given) and return the targets page."""
    page = person.get(f"/assess/{D2030}").text
    while 'value="save"' not in page:
        strand = h1(page).split()[0]
        fields = [
            *hidden_fields(page),
            *(("affirmed", s) for s in affirmed if s.startswith(f"{strand}/")),
        ]
        if strand in chosen:
            fields.append((f"level-{strand}", chosen[strand]))
        response = person.post(f"/assess/{D2030}", data={"go": "next", **_multi(fields)})
        assert response.status_code == 200, response.text
        page = response.text
    return page


def _multi(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in fields:
        out.setdefault(name, []).append(value)
    return out


def save(person: Browser, targets_page: str, targets: dict[str, str]) -> str:
    fields = _multi(hidden_fields(targets_page))
    fields |= {f"target-{s}": [level] for s, level in targets.items()}
    saved = person.post(f"/assess/{D2030}", data={"go": "save", **fields})
    assert saved.status_code == 303, saved.text
    return saved.headers["location"]


def test_pages_need_sign_in_and_come_back_after_it(api: TestClient, tenants: Tenants) -> None:
    response = api.get(f"/results/{D2030}?max_cost=0", follow_redirects=False)
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/sign-in?next=%2Fresults%2Fd2030-commitment%3Fmax_cost%3D0"
    )
    key = self_key("college-a")["Authorization"].removeprefix("Bearer ")
    signed = api.post("/sign-in", data={"key": key, "next": "/my-data"}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/my-data"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert key not in cookie  # the browser holds a session token, never the key


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_sign_in_never_sends_people_to_another_site(
    api: TestClient, tenants: Tenants, target: str
) -> None:
    key = self_key("college-a")["Authorization"].removeprefix("Bearer ")
    signed = api.post("/sign-in", data={"key": key, "next": target}, follow_redirects=False)
    assert signed.headers["location"] == "/"


def test_a_wrong_key_is_refused_in_words_and_nothing_is_set(
    api: TestClient, tenants: Tenants
) -> None:
    refused = api.post("/sign-in", data={"key": "cpd_000000000000_" + "x" * 43})
    assert refused.status_code == 401 and "set-cookie" not in refused.headers
    assert "That key is unknown, revoked or expired." in text_of(refused.text)
    empty = api.post("/sign-in", data={"key": " "})
    assert empty.status_code == 401 and "Enter your key." in text_of(empty.text)


def test_a_post_from_another_site_or_without_the_token_changes_nothing(alys: Browser) -> None:
    page = walk(alys, ["1.1/exploring/0"], {})
    fields = {"go": "save", **_multi(hidden_fields(page))}
    assert alys.post(f"/assess/{D2030}", data=fields, csrf=False).status_code == 403
    foreign = alys.post(f"/assess/{D2030}", data=fields, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert "Start your self-assessment" in alys.get("/").text  # nothing was saved


def test_pages_are_not_cached_and_allow_only_our_own_files(alys: Browser) -> None:
    page = alys.get("/")
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_the_questionnaire_keeps_answers_across_steps_and_stores_nothing_until_saved(
    alys: Browser, api: TestClient, tenants: Tenants
) -> None:
    first = alys.get(f"/assess/{D2030}").text
    assert h1(first).startswith("1.1") and "Step 1 of 5" in first
    step2 = alys.post(
        f"/assess/{D2030}",
        data={"step": "0", "go": "next", "affirmed": ["1.1/exploring/0", "1.1/exploring/1"]},
    ).text
    assert h1(step2).startswith("1.2") and "Step 2 of 5" in step2
    assert hidden_fields(step2).count(("affirmed", "1.1/exploring/0")) == 1
    back = alys.post(f"/assess/{D2030}", data={"go": "back", **_multi(hidden_fields(step2))}).text
    assert h1(back).startswith("1.1")
    assert re.search(r'value="1\.1/exploring/0" id="[^"]+" checked', back)
    lms = tenants["college-a"]["subjects"]
    assert api.get(f"/v1/subjects/{PERSON}/progress", headers=lms).status_code == 404


def test_a_bad_statement_id_is_named(alys: Browser) -> None:
    response = alys.post(
        f"/assess/{D2030}", data={"step": "0", "go": "next", "affirmed": ["9.9/exploring/0"]}
    )
    assert response.status_code == 422 and "affirmed[0]" in response.text


def test_targets_start_from_the_organisation_and_role_defaults(
    alys: Browser, api: TestClient, tenants: Tenants
) -> None:
    policy = {"targets": {"1.1": "embedding"}, "roles": {"teacher": {"1.1": "transforming"}}}
    put = api.put(
        f"/v1/frameworks/{D2030}/targets", json=policy, headers=tenants["college-a"]["admin"]
    )
    assert put.status_code == 200, put.text
    page = walk(alys, ["1.1/exploring/0", "1.1/exploring/1"], {"1.2": "|below"})
    assert selected(page, "target-1.1") == "embedding"
    assert "your organisation's default" in text_of(page)
    assert selected(page, "target-1.3") == "exploring"  # no default: the next level up
    as_teacher = alys.post(
        f"/assess/{D2030}",
        data={
            "go": "role",
            "role": "teacher",
            "target-1.1": "embedding",
            **_multi(hidden_fields(page)),
        },
    ).text
    assert selected(as_teacher, "target-1.1") == "transforming"
    assert "default for your role" in text_of(as_teacher)


def selected(page: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    match = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    assert match, name
    return match.group(1)


def test_what_the_web_saves_is_what_the_lms_sees_for_the_same_person(
    alys: Browser, api: TestClient, tenants: Tenants
) -> None:
    page = walk(alys, ["1.1/exploring/0", "1.1/exploring/1"], {"1.2": "embedding"})
    assert save(alys, page, {"1.1": "transforming", "1.3": "embedding"}) == (
        f"/results/{D2030}?saved=1"
    )
    lms = tenants["college-a"]["subjects"]
    progress = api.get(f"/v1/subjects/{PERSON}/progress", headers=lms).json()
    levels = {s["strand"]: s["points"][-1] for s in progress["strands"]}
    assert (levels["1.1"]["current"], levels["1.1"]["target"]) == ("exploring", "transforming")
    assert (levels["1.2"]["current"], levels["1.2"]["target"]) == ("embedding", "embedding")
    assert (levels["1.3"]["current"], levels["1.3"]["target"]) == (None, "embedding")
    other = self_key("college-a", "someone.else@coleg.example")
    assert api.get(f"/v1/subjects/{PERSON}/progress", headers=other).status_code == 403


def test_results_filters_feedback_and_progress(alys: Browser) -> None:
    save(alys, walk(alys, ["1.1/exploring/0", "1.1/exploring/1"], {}), {"1.1": "transforming"})
    results = alys.get(f"/results/{D2030}?saved=1").text
    assert "Your self-assessment is saved." in results and 'role="img"' in results
    items = re.findall(r'name="activity" value="([^"]+)"', results)[::2]
    assert len(items) >= 3

    online = alys.get(f"/results/{D2030}", format="online").text
    formats = re.findall(r'<p class="meta">([a-z-]+) · ', online)
    assert formats and set(formats) == {"online"}
    bad = alys.get(f"/results/{D2030}", max_hours="two", max_cost="-1")
    assert bad.status_code == 422
    assert "Enter a number, like 3 or 2.5" in bad.text and "Enter 0 or more" in bad.text

    back = f"/results/{D2030}?format=online"
    done = alys.post("/feedback", data={"activity": items[0], "event": "completed", "back": back})
    assert done.status_code == 303
    assert done.headers["location"] == f"{back}&notice=completed&activity={items[0]}"
    unrated = alys.post("/feedback", data={"activity": items[1], "event": "rated", "back": back})
    assert unrated.headers["location"] == f"{back}&notice=rating-missing"
    assert (
        alys.post(
            "/feedback", data={"activity": items[1], "event": "rated", "rating": "9", "back": back}
        ).status_code
        == 422
    )
    assert (
        alys.post(
            "/feedback", data={"activity": "nope", "event": "completed", "back": back}
        ).status_code
        == 422
    )
    alys.post("/feedback", data={"activity": items[1], "event": "dismissed", "back": back})
    alys.post(
        "/feedback", data={"activity": items[2], "event": "rated", "rating": "5", "back": back}
    )
    after = alys.get(f"/results/{D2030}").text
    remaining = re.findall(r'name="activity" value="([^"]+)"', after)
    assert items[0] not in remaining and items[1] not in remaining and items[2] in remaining
    assert "2 activities you finished or dismissed are left out" in text_of(after)

    save(alys, walk(alys, [], {"1.1": "embedding"}), {"1.1": "transforming"})
    progress = alys.get(f"/results/{D2030}").text
    table = progress[progress.index("at each self-assessment") :]
    row = re.search(r"<tr><th scope=\"row\">1\.1 .*?</tr>", table, re.S)
    assert row and [text_of(c) for c in re.findall(r"<td>(.*?)</td>", row.group(0))] == [
        "Exploring",
        "Embedding",
    ]


def test_results_before_any_assessment_go_to_the_questionnaire(alys: Browser) -> None:
    assert alys.get(f"/results/{D2030}").url.path == f"/assess/{D2030}"


def test_my_data_export_and_erasure(
    alys: Browser, api: TestClient, tenants: Tenants, cli_env: Settings
) -> None:
    save(alys, walk(alys, ["1.1/exploring/0"], {}), {"1.1": "embedding"})
    exported = alys.get("/my-data/export")
    assert exported.headers["content-disposition"].startswith("attachment")
    document = json.loads(exported.text)
    assert len(document["assessments"]) == 1 and PERSON not in exported.text
    pseudonym = document["subject"]

    unconfirmed = alys.post("/my-data/erase", data={})
    assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.text
    erased = alys.post("/my-data/erase", data={"confirm": "yes"})
    assert erased.status_code == 200 and "Your sign-in key no longer works." in text_of(erased.text)
    assert pseudonym not in dump_database(cli_env)
    assert signed_out(alys)  # the key is revoked and its sessions are gone
    lms = tenants["college-a"]["subjects"]
    assert api.get(f"/v1/subjects/{PERSON}/export", headers=lms).status_code == 404


def test_erasing_through_the_api_revokes_the_persons_own_key(
    alys: Browser, api: TestClient, tenants: Tenants, cli_env: Settings
) -> None:
    save(alys, walk(alys, [], {"1.1": "exploring"}), {"1.1": "embedding"})
    erased = api.delete(f"/v1/subjects/{PERSON}", headers=tenants["college-a"]["subjects"])
    assert erased.json() == {"assessments": 1, "feedback": 0, "sign_in_keys": 1}
    assert signed_out(alys)
    assert alys.key not in dump_database(cli_env)


def test_only_a_persons_own_key_opens_the_practitioner_pages(
    browsers: Browsers, tenants: Tenants
) -> None:
    coordinator = browsers(tenants["college-a"]["catalogue:write"])
    assert coordinator.get(f"/assess/{D2030}").status_code == 403
    assert "Start your self-assessment" not in coordinator.get("/").text
    lms = browsers(tenants["college-a"]["subjects"])
    assert "not for these pages" in text_of(lms.get("/").text)


def test_another_organisations_framework_is_not_found(
    api: TestClient, browsers: Browsers, tenants: Tenants
) -> None:
    own = json.loads((catalogue.FRAMEWORKS_DIR / f"{D2030}.json").read_text())
    own["id"] = "college-a-only"
    added = api.post("/v1/frameworks", json=own, headers=tenants["college-a"]["admin"])
    assert added.status_code == 201, added.text
    school = browsers(self_key("school-b", "pupil@school.example"))
    assert school.get("/assess/college-a-only").status_code == 404
    assert browsers(self_key("college-a")).get("/assess/college-a-only").status_code == 200


def test_revoking_a_key_ends_its_web_sessions(alys: Browser, tenants: Tenants) -> None:
    key_id = alys.key.split("_")[1]
    assert not signed_out(alys)
    assert run_cli("keys", "revoke", key_id)[0] == 0
    assert signed_out(alys)


def test_signing_out_ends_the_session(alys: Browser) -> None:
    out = alys.post("/sign-out", data={})
    assert out.status_code == 303 and out.headers["location"] == "/sign-in?signed_out=1"
    assert signed_out(alys)


def test_self_keys_name_exactly_one_person(cli_env: Settings, tenants: Tenants) -> None:
    code, _, err = run_cli("keys", "create", "--org", "college-a", "--scope", "self")
    assert code == 2 and "a `self` key signs in one person" in err
    code, _, err = run_cli(
        "keys", "create", "--org", "college-a", "--scope", "recommend", "--person", "x"
    )
    assert code == 2 and "only a `self` key names a person" in err


def test_a_fresh_install_says_how_to_make_the_first_key(
    cli_env: Settings, client: TestClient
) -> None:
    assert 'id="first-run"' in client.get("/sign-in").text
    code, _, err = run_cli("keys", "create", "--org", "local", "--scope", "self", "--person", "me")
    assert code == 0, err
    assert 'id="first-run"' not in client.get("/sign-in").text


def test_exporting_before_saving_anything_stores_nothing(
    alys: Browser, api: TestClient, tenants: Tenants
) -> None:
    document = json.loads(alys.get("/my-data/export").text)
    assert document["assessments"] == [] and document["feedback"] == []
    lms = tenants["college-a"]["subjects"]
    assert api.get(f"/v1/subjects/{PERSON}/export", headers=lms).status_code == 404


def test_a_role_the_organisation_does_not_have_is_refused(alys: Browser) -> None:
    page = walk(alys, ["1.1/exploring/0"], {})
    fields = {"go": "save", "role": "x" * 300, **_multi(hidden_fields(page))}
    refused = alys.post(f"/assess/{D2030}", data=fields)
    assert refused.status_code == 422 and "has no role" in text_of(refused.text)
    assert "Start your self-assessment" in alys.get("/").text  # nothing was saved
