"""Practitioners and LMS plugins through HTTP: questionnaires, assessments, stored subjects,
feedback, progress, the k-anonymous gap report, and the subject's rights (export, erasure)."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from service.logs import RedactSubjects
from service.models import Assessment, Feedback
from service.settings import Settings
from service.subjects import SubjectIds, months_before
from tests.conftest import run_cli
from tests.test_api import problem

Tenants = dict[str, dict[str, dict[str, str]]]
D2030 = "d2030-commitment"
PERSON = "moodle:4217"


@pytest.fixture
def lms(tenants: Tenants) -> dict[str, str]:
    return tenants["college-a"]["subjects"]


def assess(api: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = api.post("/v1/assessments", json={"framework": D2030, **body}, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def recommend(api: TestClient, headers: dict[str, str], subject: str, **body: Any) -> list[str]:
    response = api.post(f"/v1/subjects/{subject}/recommendations", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return [item["activity"] for item in response.json()["items"]]


def test_questionnaire_lists_every_statement_with_ids_assessments_accept(
    api: TestClient, lms: dict[str, str]
) -> None:
    q = api.get(f"/v1/frameworks/{D2030}/questionnaire", headers=lms).json()
    assert [lv["id"] for lv in q["levels"]] == ["exploring", "embedding", "transforming"]
    strand = q["strands"][0]
    assert strand["id"] == "1.1" and [lv["id"] for lv in strand["levels"]] == [
        lv["id"] for lv in q["levels"]
    ]
    exploring = [s["id"] for s in strand["levels"][0]["statements"]]
    assert exploring and all(s.startswith("1.1/exploring/") for s in exploring)
    body = assess(api, lms, subject=PERSON, affirmed=exploring, targets={"1.1": "transforming"})
    assert body["profile"]["levels"]["1.1"] == {"current": "exploring", "target": "transforming"}
    naace = api.get("/v1/frameworks/naace-srf-5a/questionnaire", headers=lms).json()
    assert naace["subject"] == "organisation" and naace["levels"][0]["id"] == "4"
    problem(api.get("/v1/frameworks/nope/questionnaire", headers=lms), 404)


def test_targets_come_from_request_then_role_then_organisation(
    api: TestClient, tenants: Tenants, lms: dict[str, str]
) -> None:
    coordinator = tenants["college-a"]["catalogue:write"]
    policy = {
        "targets": {"1.1": "embedding", "1.2": "embedding"},
        "roles": {"teacher": {"1.2": "transforming"}},
    }
    saved = api.put(f"/v1/frameworks/{D2030}/targets", json=policy, headers=coordinator)
    assert saved.status_code == 200, saved.text
    assert (
        api.get(f"/v1/frameworks/{D2030}/targets", headers=lms).json()["roles"] == policy["roles"]
    )
    body = assess(api, lms, subject=PERSON, role="teacher", targets={"1.3": "exploring"})
    assert body["target_sources"] == {"1.1": "organisation", "1.2": "role", "1.3": "request"}
    levels = body["profile"]["levels"]
    assert [levels[s]["target"] for s in ("1.1", "1.2", "1.3")] == [
        "embedding",
        "transforming",
        "exploring",
    ]
    assert body["gaps"] == 3
    no_role = assess(api, lms, subject="someone-else")
    assert no_role["target_sources"] == {"1.1": "organisation", "1.2": "organisation"}
    # the questionnaire shows the organisation's defaults, so a form can pre-fill them
    q = api.get(f"/v1/frameworks/{D2030}/questionnaire", headers=lms).json()
    assert q["default_targets"] == policy["targets"]
    # the change is audited, and only coordinators may make it
    events = api.get("/v1/audit", headers=coordinator).json()
    assert events[0]["action"] == "set-targets" and events[0]["entity"] == f"framework:{D2030}"
    problem(api.put(f"/v1/frameworks/{D2030}/targets", json=policy, headers=lms), 403)


def test_bad_targets_and_answers_name_the_field(
    api: TestClient, tenants: Tenants, lms: dict[str, str]
) -> None:
    bad_policy = {"targets": {"9.9": "embedding"}, "roles": {"teacher": {"1.2": "expert"}}}
    body = problem(
        api.put(
            f"/v1/frameworks/{D2030}/targets",
            json=bad_policy,
            headers=tenants["college-a"]["catalogue:write"],
        ),
        422,
    )
    assert {e["field"] for e in body["errors"]} == {"targets.9.9", "roles.teacher.1.2"}
    cases = [
        ({"affirmed": ["1.1/exploring/0", "1.1/exploring/99"]}, "affirmed[1]"),
        ({"levels": {"1.2": "expert"}}, "levels.1.2"),
        ({"targets": {"1.2": "expert"}}, "targets.1.2"),
        ({"priorities": {"9.9": 2}}, "priorities.9.9"),
        ({"framework": "nope"}, "framework"),
        ({"subject": ""}, "subject"),
        ({"unexpected": 1}, "unexpected"),
    ]
    for extra, field in cases:
        response = api.post(
            "/v1/assessments", json={"framework": D2030, "subject": PERSON, **extra}, headers=lms
        )
        fields = [e["field"] for e in problem(response, 422)["errors"]]
        assert fields[0] == field, (extra, fields)
    assert api.get(f"/v1/subjects/{PERSON}/export", headers=lms).status_code == 404, (
        "a rejected assessment must store nothing"
    )


def test_only_a_keyed_hash_of_the_subject_is_stored(
    api: TestClient, lms: dict[str, str], cli_env: Settings
) -> None:
    email = "jo.bloggs@example.org"
    body = assess(
        api, lms, subject=email, levels={"1.1": "exploring"}, targets={"1.1": "embedding"}
    )
    expected = SubjectIds.for_org(cli_env.key_secret(), "college-a").of(email)
    assert body["subject"] == expected and email not in json.dumps(body)
    assert SubjectIds.for_org(cli_env.key_secret(), "school-b").of(email) != expected
    assert email not in dump_database(cli_env) and expected in dump_database(cli_env)


def dump_database(settings: Settings) -> str:
    """Every row of every table, as text."""
    engine = create_engine(settings.db_url)
    try:
        with engine.connect() as connection:
            return "\n".join(
                repr(row)
                for table in inspect(connection).get_table_names()
                for row in connection.execute(text(f'SELECT * FROM "{table}"'))
            )
    finally:
        engine.dispose()


def test_dismissed_and_completed_activities_are_not_offered_again(
    api: TestClient, lms: dict[str, str]
) -> None:
    assess(api, lms, subject=PERSON, levels={"1.3": None}, targets={"1.3": "transforming"})
    first = recommend(api, lms, PERSON, limit=5)
    assert len(first) == 5
    for activity, event in ((first[0], "dismissed"), (first[1], "completed")):
        response = api.post(
            "/v1/feedback",
            json={"subject": PERSON, "activity": activity, "event": event},
            headers=lms,
        )
        assert response.status_code == 201, response.text
    again = api.post(
        f"/v1/subjects/{PERSON}/recommendations", json={"limit": 50}, headers=lms
    ).json()
    offered = [item["activity"] for item in again["items"]]
    assert first[0] not in offered and first[1] not in offered and first[2] in offered
    assert again["excluded"] == 2
    # viewing or starting does not hide an activity
    api.post(
        "/v1/feedback",
        json={"subject": PERSON, "activity": first[2], "event": "started"},
        headers=lms,
    )
    assert first[2] in recommend(api, lms, PERSON, limit=50)
    # another subject is unaffected
    assess(api, lms, subject="other", levels={"1.3": None}, targets={"1.3": "transforming"})
    assert recommend(api, lms, "other", limit=5) == first


def test_subject_recommendations_take_constraints_and_the_framework(
    api: TestClient, lms: dict[str, str]
) -> None:
    assess(api, lms, subject=PERSON, levels={"1.3": None}, targets={"1.3": "transforming"})
    response = api.post(
        f"/v1/subjects/{PERSON}/recommendations",
        json={"constraints": {"max_cost": 0}, "limit": 20},
        headers=lms,
    )
    items = response.json()["items"]
    assert items and all(item["cost"] == 0 for item in items)
    assert response.json()["framework"] == D2030
    problem(
        api.post(
            f"/v1/subjects/{PERSON}/recommendations",
            json={"framework": "naace-srf-5a"},
            headers=lms,
        ),
        404,
    )
    problem(api.post("/v1/subjects/nobody/recommendations", json={}, headers=lms), 404)


def test_feedback_is_validated(api: TestClient, lms: dict[str, str]) -> None:
    cases = [
        ({"activity": "A001", "event": "rated"}, "rating"),
        ({"activity": "A001", "event": "viewed", "rating": 4}, "rating"),
        ({"activity": "A001", "event": "rated", "rating": 6}, "rating"),
        ({"activity": "A001", "event": "liked"}, "event"),
        ({"activity": "NOPE", "event": "viewed"}, "activity"),
        ({"activity": "A001", "event": "viewed", "at": "2026-01-01T10:00:00"}, "at"),
    ]
    for body, field in cases:
        response = api.post("/v1/feedback", json={"subject": PERSON, **body}, headers=lms)
        assert problem(response, 422)["errors"][0]["field"] == field, body
    ok = api.post(
        "/v1/feedback",
        json={"subject": PERSON, "activity": "A001", "event": "rated", "rating": 4},
        headers=lms,
    )
    assert ok.status_code == 201 and ok.json()["rating"] == 4


def test_progress_shows_levels_per_strand_per_assessment(
    api: TestClient, lms: dict[str, str], cli_env: Settings
) -> None:
    assess(
        api,
        lms,
        subject=PERSON,
        levels={"1.1": None, "1.2": "exploring"},
        targets={"1.1": "embedding"},
    )
    backdate(cli_env, Assessment.assessed_at, timedelta(days=90))
    assess(
        api,
        lms,
        subject=PERSON,
        levels={"1.1": "exploring", "1.2": "embedding"},
        targets={"1.1": "embedding"},
    )
    progress = api.get(f"/v1/subjects/{PERSON}/progress", headers=lms).json()
    assert len(progress["assessments"]) == 2
    assert progress["assessments"][0] < progress["assessments"][1]
    by_strand = {s["strand"]: s["points"] for s in progress["strands"]}
    assert [(p["current"], p["target"]) for p in by_strand["1.1"]] == [
        (None, "embedding"),
        ("exploring", "embedding"),
    ]
    assert [p["current"] for p in by_strand["1.2"]] == ["exploring", "embedding"]
    assert set(by_strand) == {"1.1", "1.2"}
    problem(api.get(f"/v1/subjects/{PERSON}/progress?framework=naace-srf-5a", headers=lms), 404)


def backdate(settings: Settings, column: Any, delta: timedelta) -> None:
    """Move every row's timestamp in `column` back by `delta`, as if recorded earlier."""
    engine = create_engine(settings.db_url)
    try:
        with Session(engine) as session, session.begin():
            for row in session.scalars(select(column.class_)):
                setattr(row, column.key, getattr(row, column.key) - delta)
    finally:
        engine.dispose()


def test_export_holds_everything_and_erasure_leaves_nothing(
    api: TestClient, lms: dict[str, str], tenants: Tenants, cli_env: Settings
) -> None:
    assess(api, lms, subject=PERSON, affirmed=["1.1/exploring/0"], targets={"1.1": "embedding"})
    assess(api, lms, subject=PERSON, levels={"1.1": "exploring"}, targets={"1.1": "transforming"})
    for event in ({"event": "completed"}, {"event": "rated", "rating": 2}):
        api.post("/v1/feedback", json={"subject": PERSON, "activity": "A001", **event}, headers=lms)
    assess(api, lms, subject="bystander", levels={"1.1": "exploring"}, targets={"1.1": "embedding"})
    exported = api.get(f"/v1/subjects/{PERSON}/export", headers=lms).json()
    assert len(exported["assessments"]) == 2 and len(exported["feedback"]) == 2
    assert exported["assessments"][0]["answers"]["affirmed"] == ["1.1/exploring/0"]
    assert [f["event"] for f in exported["feedback"]] == ["completed", "rated"]
    pseudonym = exported["subject"]
    assert pseudonym in dump_database(cli_env)

    erased = api.delete(f"/v1/subjects/{PERSON}", headers=lms)
    assert erased.status_code == 200 and erased.json() == {
        "assessments": 2,
        "feedback": 2,
        "sign_in_keys": 0,
    }
    assert pseudonym not in dump_database(cli_env)
    problem(api.get(f"/v1/subjects/{PERSON}/export", headers=lms), 404)
    problem(api.delete(f"/v1/subjects/{PERSON}", headers=lms), 404)
    assert api.get("/v1/subjects/bystander/export", headers=lms).status_code == 200
    event = api.get("/v1/audit", headers=tenants["college-a"]["admin"]).json()[0]
    assert (event["action"], event["entity"]) == ("erase", "subject")
    assert pseudonym not in json.dumps(event) and PERSON not in json.dumps(event)


def test_another_organisation_cannot_see_or_erase_a_subject(
    api: TestClient, tenants: Tenants, lms: dict[str, str]
) -> None:
    assess(api, lms, subject=PERSON, levels={"1.1": "exploring"}, targets={"1.1": "embedding"})
    other = tenants["school-b"]["subjects"]
    for method, path in (
        ("GET", f"/v1/subjects/{PERSON}/export"),
        ("GET", f"/v1/subjects/{PERSON}/progress"),
        ("DELETE", f"/v1/subjects/{PERSON}"),
    ):
        problem(api.request(method, path, headers=other), 404)
    problem(api.post(f"/v1/subjects/{PERSON}/recommendations", json={}, headers=other), 404)
    assert api.get(f"/v1/subjects/{PERSON}/export", headers=lms).status_code == 200


def test_gap_report_suppresses_cells_with_fewer_than_five_subjects(
    api: TestClient, lms: dict[str, str], tenants: Tenants
) -> None:
    reporter = tenants["college-a"]["reports"]

    def report() -> dict[tuple[str, str], dict[str, Any]]:
        body = api.get(f"/v1/reports/gaps?framework={D2030}", headers=reporter).json()
        return {(c["strand"], c["level"]): c for c in body["cells"]} | {("total", ""): body}

    # five people need 1.1 at embedding; four of them also need transforming
    for n in range(5):
        target = "transforming" if n < 4 else "embedding"
        assess(api, lms, subject=f"p{n}", levels={"1.1": "exploring"}, targets={"1.1": target})
    cells = report()
    assert cells[("1.1", "embedding")]["subjects"] == 5
    assert not cells[("1.1", "embedding")]["suppressed"]
    assert cells[("1.1", "transforming")] | {"activities": 0} == {
        "strand": "1.1",
        "level": "transforming",
        "subjects": None,
        "suppressed": True,
        "activities": 0,
        "short": False,
    }
    assert cells[("1.1", "exploring")]["subjects"] is None  # nobody: zero is withheld too
    assert cells[("total", "")]["subjects"] == 5
    assert cells[("1.1", "embedding")]["activities"] > 0
    # a later assessment replaces a person's earlier one: only the latest counts
    assess(api, lms, subject="p0", levels={"1.1": "embedding"}, targets={"1.1": "embedding"})
    assert report()[("1.1", "embedding")]["subjects"] is None
    # transforming: p1-p3 still, then p5 makes four (withheld) and p6 five (shown)
    assess(api, lms, subject="p5", levels={"1.1": "embedding"}, targets={"1.1": "transforming"})
    assert report()[("1.1", "transforming")]["subjects"] is None
    assess(api, lms, subject="p6", levels={"1.1": "embedding"}, targets={"1.1": "transforming"})
    assert report()[("1.1", "transforming")]["subjects"] == 5
    # fewer than five subjects in all: even the total is withheld
    other = api.get(
        f"/v1/reports/gaps?framework={D2030}", headers=tenants["school-b"]["reports"]
    ).json()
    assert other["subjects"] is None and all(c["suppressed"] for c in other["cells"])


def test_purge_deletes_what_is_older_than_the_retention_period(
    api: TestClient, lms: dict[str, str], cli_env: Settings
) -> None:
    assess(api, lms, subject="old", levels={"1.1": "exploring"}, targets={"1.1": "embedding"})
    api.post(
        "/v1/feedback", json={"subject": "old", "activity": "A001", "event": "viewed"}, headers=lms
    )
    backdate(cli_env, Assessment.assessed_at, timedelta(days=800))
    backdate(cli_env, Feedback.at, timedelta(days=800))
    assess(api, lms, subject="recent", levels={"1.1": "exploring"}, targets={"1.1": "embedding"})

    code, out, err = run_cli("purge", "--dry-run")
    assert code == 0, err
    report = json.loads(out)
    assert report["dry_run"] and report["organisations"] == {
        "college-a": {"assessments": 1, "feedback": 1, "subjects": 1}
    }
    assert api.get("/v1/subjects/old/export", headers=lms).status_code == 200

    code, out, err = run_cli("purge", "--months", "24")
    assert code == 0, err
    assert json.loads(out)["organisations"]["college-a"]["subjects"] == 1
    problem(api.get("/v1/subjects/old/export", headers=lms), 404)
    assert api.get("/v1/subjects/recent/export", headers=lms).status_code == 200
    code, out, _ = run_cli("purge")
    assert code == 0 and json.loads(out)["organisations"] == {}
    assert run_cli("purge", "--months", "0")[0] == 2


def test_months_before_clamps_to_the_end_of_shorter_months() -> None:
    moment = datetime(2026, 3, 31, 12, tzinfo=UTC)
    assert months_before(moment, 1) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert months_before(moment, 24) == datetime(2024, 3, 31, 12, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


def test_access_log_never_shows_a_subject_id() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/v1/subjects/jo%40example.org/progress?x=1", "1.1", 200),
        None,
    )
    assert RedactSubjects().filter(record)
    line = record.getMessage()
    assert "jo%40example.org" not in line and "/v1/subjects/<subject>/progress?x=1" in line


def test_ratings_from_people_with_similar_gaps_move_activities(
    api: TestClient, lms: dict[str, str]
) -> None:
    """Through HTTP: peers rate the plain ranking's 4th activity 5 and its 1st activity 1; a
    newcomer with the same gaps then sees the 4th rise and the 1st fall, someone with other
    gaps sees no change, and erasing the raters undoes it."""
    gap = {"levels": {"1.3": None}, "targets": {"1.3": "transforming"}}
    assess(api, lms, subject="newcomer", **gap)
    assess(api, lms, subject="elsewhere", levels={"1.1": None}, targets={"1.1": "embedding"})
    plain = recommend(api, lms, "newcomer", limit=10)
    plain_elsewhere = recommend(api, lms, "elsewhere", limit=10)
    liked, disliked = plain[3], plain[0]
    for n in range(6):
        assess(api, lms, subject=f"peer{n}", **gap)
        for activity, rating in ((liked, 5), (disliked, 1)):
            response = api.post(
                "/v1/feedback",
                json={
                    "subject": f"peer{n}",
                    "activity": activity,
                    "event": "rated",
                    "rating": rating,
                },
                headers=lms,
            )
            assert response.status_code == 201, response.text
    boosted = recommend(api, lms, "newcomer", limit=10)
    assert boosted.index(liked) < plain.index(liked)
    assert disliked not in boosted or boosted.index(disliked) > plain.index(disliked)
    assert recommend(api, lms, "elsewhere", limit=10) == plain_elsewhere
    for n in range(6):
        assert api.delete(f"/v1/subjects/peer{n}", headers=lms).status_code == 200
    assert recommend(api, lms, "newcomer", limit=10) == plain


def statement(verb: str, activity_iri: str, **extra: Any) -> dict[str, Any]:
    """A statement as Moodle's logstore_xapi shapes them: account actor, activity object."""
    return {
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "https://moodle.example.ac.uk", "name": PERSON},
        },
        "verb": {"id": verb, "display": {"en": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": activity_iri},
        "context": {"platform": "Moodle"},
        **extra,
    }


ADL = "http://adlnet.gov/expapi/verbs/"
RATED = "http://id.tincanapi.com/verb/rated"


def test_xapi_statements_become_feedback(api: TestClient, lms: dict[str, str]) -> None:
    assess(api, lms, subject=PERSON, levels={"1.3": None}, targets={"1.3": "transforming"})
    first, second, third = recommend(api, lms, PERSON, limit=3)
    a002_url = api.get("/v1/activities/A002", headers=lms).json()["url"]
    statements = [
        statement(
            ADL + "completed",
            f"urn:cpdrec:activity:{first}",
            id="6f1c2a52-3d4e-4a4b-9c8d-1e2f3a4b5c6d",
        ),
        statement(
            ADL + "attempted",
            f"https://lms.example/cpd/activities/{second}",
            result={"completion": True},
        ),
        statement(
            RATED, f"urn:cpdrec:activity:{third}", result={"score": {"raw": 2, "min": 1, "max": 5}}
        ),
        statement(ADL + "experienced", a002_url),
        statement(ADL + "completed", "https://moodle.example.ac.uk/mod/forum/view.php?id=9"),
        statement("http://example.com/verbs/shrugged", f"urn:cpdrec:activity:{third}"),
    ]
    headers = {**lms, "X-Experience-API-Version": "1.0.3"}
    response = api.post("/v1/xapi/statements", json=statements, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["x-experience-api-version"] == "1.0.3"
    ids = response.json()
    assert len(ids) == 6 and ids[0] == "6f1c2a52-3d4e-4a4b-9c8d-1e2f3a4b5c6d"
    stored = api.get(f"/v1/subjects/{PERSON}/export", headers=lms).json()["feedback"]
    assert [(f["activity"], f["event"], f["rating"]) for f in stored] == [
        (first, "completed", None),
        (second, "completed", None),
        (third, "rated", 2),
        ("A002", "viewed", None),
    ]
    # completed through xAPI: not offered again
    assert not {first, second} & set(recommend(api, lms, PERSON, limit=50))
    # the same statement id again is stored once
    again = api.post("/v1/xapi/statements", json=statements[0], headers=headers)
    assert again.json() == [ids[0]]
    assert len(api.get(f"/v1/subjects/{PERSON}/export", headers=lms).json()["feedback"]) == 4


def test_xapi_actor_by_email_is_stored_only_as_a_hash(
    api: TestClient, lms: dict[str, str], cli_env: Settings
) -> None:
    email = "mailto:Quentin.Zebedee@zebedee-mail.test"
    body = statement(ADL + "completed", "urn:cpdrec:activity:A001")
    body["actor"] = {"mbox": email, "name": "Quentin Zebedee"}
    assert api.post("/v1/xapi/statements", json=body, headers=lms).status_code == 200
    assert "zebedee" not in dump_database(cli_env).lower()
    # the LMS finds the subject again by the address's SHA-1, as xAPI defines mbox_sha1sum
    subject = "mbox_sha1sum:" + hashlib.sha1(email.encode()).hexdigest()
    feedback = api.get(f"/v1/subjects/{subject}/export", headers=lms).json()["feedback"]
    assert [(f["activity"], f["event"]) for f in feedback] == [("A001", "completed")]


def test_bad_xapi_is_rejected_with_the_field_and_stores_nothing(
    api: TestClient, lms: dict[str, str]
) -> None:
    good = statement(ADL + "completed", "urn:cpdrec:activity:A001")
    no_actor = {k: v for k, v in good.items() if k != "actor"}
    rated_without_score = statement(RATED, "urn:cpdrec:activity:A001")
    for body, field in (
        ([good, no_actor], "[1].actor"),
        ([good, rated_without_score], "[1].result.score"),
        (rated_without_score, "result.score"),
    ):
        response = api.post("/v1/xapi/statements", json=body, headers=lms)
        assert problem(response, 422)["errors"][0]["field"] == field
    problem(api.get(f"/v1/subjects/{PERSON}/export", headers=lms), 404)
    old = api.post(
        "/v1/xapi/statements", json=good, headers={**lms, "X-Experience-API-Version": "0.95"}
    )
    assert "version" in problem(old, 400)["detail"].lower()


def test_a_subject_created_by_a_concurrent_request_is_reused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two first assessments of one person at once: the loser of the insert race reuses the
    winner's row instead of failing."""
    from service import store, subjects
    from service.db import make_engine

    engine = make_engine(settings.db_url)
    try:
        store.prepare(engine)
        with Session(engine) as winner, winner.begin():
            subjects.ensure(winner, "local", "abc")
        real_find = subjects.find
        calls = iter([None])  # the loser's first look happened before the winner committed
        monkeypatch.setattr(subjects, "find", lambda *args: next(calls, real_find(*args)))
        with Session(engine) as loser, loser.begin():
            assert subjects.ensure(loser, "local", "abc").id == "abc"
    finally:
        engine.dispose()


def test_a_statement_sent_twice_at_once_is_stored_once(
    api: TestClient, lms: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from service import feedback

    sent = statement(
        ADL + "completed", "urn:cpdrec:activity:A001", id="0b7c6a4e-2f1d-4c3b-8a9e-5d6c7b8a9f01"
    )
    assert api.post("/v1/xapi/statements", json=sent, headers=lms).status_code == 200
    real = feedback.known_statements
    looks: list[int] = []

    def first_look_misses(*args: Any) -> set[str]:
        """As if the copy were stored by a concurrent request just after this one looked."""
        looks.append(1)
        return set() if len(looks) == 1 else real(*args)

    monkeypatch.setattr(feedback, "known_statements", first_look_misses)
    again = api.post("/v1/xapi/statements", json=sent, headers=lms)
    assert again.status_code == 200, again.text
    exported = api.get(f"/v1/subjects/{PERSON}/export", headers=lms).json()
    assert len(exported["feedback"]) == 1 and len(looks) == 2


def test_cli_exports_and_erases_a_subject_for_a_data_protection_officer(
    api: TestClient, lms: dict[str, str], tenants: Tenants
) -> None:
    assess(api, lms, subject=PERSON, levels={"1.1": "exploring"}, targets={"1.1": "embedding"})
    code, out, err = run_cli("subjects", "export", PERSON, "--org", "college-a")
    assert code == 0, err
    exported = json.loads(out)
    assert exported == api.get(f"/v1/subjects/{PERSON}/export", headers=lms).json()
    assert run_cli("subjects", "export", PERSON, "--org", "school-b")[0] == 2
    code, out, err = run_cli("subjects", "erase", PERSON, "--org", "college-a")
    assert code == 0 and json.loads(out) == {"assessments": 1, "feedback": 0, "sign_in_keys": 0}, (
        err
    )
    problem(api.get(f"/v1/subjects/{PERSON}/export", headers=lms), 404)
    code, _, err = run_cli("subjects", "erase", PERSON, "--org", "college-a")
    assert code == 2 and err.strip() == f"error: subject '{PERSON}' not found"
    event = api.get("/v1/audit", headers=tenants["college-a"]["admin"]).json()[0]
    assert (event["actor"], event["action"], event["entity"]) == ("cli", "erase", "subject")


def test_a_whole_school_is_a_subject_too(api: TestClient, lms: dict[str, str]) -> None:
    """Naace 5a is about the school: its scale runs 4 (lowest) to 1."""
    q = api.get("/v1/frameworks/naace-srf-5a/questionnaire", headers=lms).json()
    strand = q["strands"][0]["id"]
    lowest = [s["id"] for s in q["strands"][0]["levels"][0]["statements"]]
    body = assess(
        api,
        lms,
        subject="school:urn-104512",
        framework="naace-srf-5a",
        affirmed=lowest,
        targets={strand: "2"},
    )
    assert body["profile"]["levels"][strand] == {"current": "4", "target": "2"}
    items = api.post(
        "/v1/subjects/school:urn-104512/recommendations", json={"limit": 3}, headers=lms
    ).json()["items"]
    assert items and all(
        {(t["strand"], t["level"]) for t in i["addresses"]} <= {(strand, "3"), (strand, "2")}
        for i in items
    )
