"""xAPI statements to feedback: realistic statements in, located errors or feedback events out.

The statements copy the shapes real senders produce: Moodle's logstore_xapi (an ``account``
actor, no id, no timestamp, a context full of extensions), cmi5 content (an ``mbox`` actor and
a registration), and the examples of the xAPI 1.0.3 specification itself.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.errors import InvalidInput
from service.xapi import (
    XAPI_VERSION,
    Statement,
    XapiFeedback,
    activity_ref,
    check_version,
    feedback_from_body,
    parse_statements,
    to_feedback,
)

ADL = "http://adlnet.gov/expapi/verbs/"
RATED = "http://id.tincanapi.com/verb/rated"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
COURSE_URL = "https://cpd.example.org/courses/online-safety"
EMAIL = "Ann.Teacher@Example.SCH.uk"
KEPT = "6f1a3c1e-0b9e-4f53-9a52-2d1c3b0e7a10"

URLS = {COURSE_URL: "dsg-101"}
KNOWN = {"dsg-101", "ai-201", "feedback loops"}


def resolve(iri: str) -> str | None:
    """What the route does: an activity's url, else an IRI we coined for a known id."""
    if iri in URLS:
        return URLS[iri]
    ref = activity_ref(iri)
    return ref if ref in KNOWN else None


def moodle_completed() -> dict[str, Any]:
    """logstore_xapi's course_module_completion_updated statement (no id, no timestamp)."""
    return {
        "actor": {
            "name": "Ann Teacher",
            "account": {"homePage": "https://moodle.example.sch.uk", "name": "1047"},
        },
        "verb": {"id": ADL + "completed", "display": {"en": "completed"}},
        "object": {
            "id": COURSE_URL,
            "definition": {
                "type": "http://id.tincanapi.com/activitytype/lms/module",
                "name": {"en": "Online safety for staff"},
            },
        },
        "context": {
            "platform": "Moodle",
            "language": "en",
            "extensions": {
                "http://lrs.learninglocker.net/define/extensions/info": {
                    "http://moodle.org": "4.3.0",
                    "event_name": "\\core\\event\\course_module_completion_updated",
                }
            },
            "contextActivities": {
                "grouping": [
                    {
                        "id": "https://moodle.example.sch.uk/course/view.php?id=12",
                        "definition": {"type": "http://id.tincanapi.com/activitytype/lms/course"},
                    }
                ],
                "category": [{"id": "http://moodle.org"}],
            },
        },
    }


def cmi5(verb: str, **fields: Any) -> dict[str, Any]:
    """A cmi5-style statement from content: mbox actor, id, timestamp, registration."""
    return {
        "id": str(uuid.uuid4()),
        "timestamp": "2025-02-28T14:05:09.123+01:00",
        "actor": {"objectType": "Agent", "name": "Ann Teacher", "mbox": f"mailto:{EMAIL}"},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": "urn:cpdrec:activity:ai-201"},
        "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "contextActivities": {"category": [{"id": "https://w3id.org/xapi/cmi5/context/v1"}]},
        },
        "authority": {"account": {"homePage": "https://lrs.example.org", "name": "moodle"}},
        "stored": "2025-02-28T13:05:10.000Z",
        "version": "1.0.0",
        **fields,
    }


def rated(score: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
    statement = cmi5(RATED, **fields)
    if score is not None:
        statement["result"] = {"score": score}
    return statement


def stars_of(score: dict[str, Any]) -> int:
    """The rating a ``rated`` statement with this score gives."""
    rating = only(rated(score)).rating
    assert rating is not None
    return rating


def feedback(statement: dict[str, Any]) -> XapiFeedback | None:
    return to_feedback(Statement.model_validate(statement), resolve, now=NOW)


def only(body: object) -> XapiFeedback:
    batch = feedback_from_body(body, resolve, now=NOW)
    assert len(batch.feedback) == 1
    return batch.feedback[0]


def problems(body: object, via: Callable[[object], object] = parse_statements) -> list[str]:
    """``field: message`` of every problem `via` finds in `body`."""
    with pytest.raises(InvalidInput) as exc:
        via(body)
    return [f"{p.field}: {p.message}" for p in exc.value.problems]


def fields(body: object, via: Callable[[object], object] = parse_statements) -> list[str]:
    return [line.split(": ", 1)[0] for line in problems(body, via)]


def from_body(body: object) -> object:
    return feedback_from_body(body, resolve, now=NOW)


class TestBody:
    def test_a_single_statement_is_a_body(self) -> None:
        [statement] = parse_statements(moodle_completed())
        assert statement.verb.id == ADL + "completed"

    def test_an_array_of_statements_is_a_body(self) -> None:
        body = [moodle_completed(), cmi5(ADL + "launched"), rated({"raw": 4})]
        assert [s.verb.id for s in parse_statements(body)] == [
            ADL + "completed",
            ADL + "launched",
            RATED,
        ]

    def test_an_empty_array_yields_nothing(self) -> None:
        batch = feedback_from_body([], resolve)
        assert (batch.statement_ids, batch.feedback) == ((), ())

    @pytest.mark.parametrize("body", ["statement", 3, None, True])
    def test_anything_else_is_refused_as_a_whole(self, body: object) -> None:
        assert fields(body) == ["body"]

    def test_a_non_object_in_an_array_is_located(self) -> None:
        assert fields([moodle_completed(), "completed"]) == ["[1]"]

    def test_fields_we_do_not_use_are_ignored(self) -> None:
        statement = cmi5(
            ADL + "completed",
            attachments=[{"usageType": "http://example.com/cert", "sha2": "abc"}],
            extra_property={"anything": [1, 2]},
        )
        assert only(statement).event == "completed"

    def test_feedback_and_ids_from_a_mixed_batch(self) -> None:
        body = [
            moodle_completed(),  # no id: one is generated
            cmi5(ADL + "answered", id=KEPT),  # unmapped verb: an id but no feedback
            rated({"raw": 5}, id="0d9e8f3c-6b5a-4c1d-8e2f-3a4b5c6d7e8f"),
        ]
        batch = feedback_from_body(body, resolve, now=NOW)
        assert len(batch.statement_ids) == 3
        assert batch.statement_ids[1:] == (
            KEPT,
            "0d9e8f3c-6b5a-4c1d-8e2f-3a4b5c6d7e8f",
        )
        assert [(f.statement_id, f.event) for f in batch.feedback] == [
            (batch.statement_ids[0], "completed"),
            (batch.statement_ids[2], "rated"),
        ]


class TestVerbs:
    @pytest.mark.parametrize(
        ("verb", "event"),
        [
            (ADL + "completed", "completed"),
            (ADL + "passed", "completed"),
            (ADL + "mastered", "completed"),
            ("https://w3id.org/xapi/adl/verbs/satisfied", "completed"),
            (ADL + "experienced", "viewed"),
            ("http://id.tincanapi.com/verb/viewed", "viewed"),
            (ADL + "launched", "started"),
            (ADL + "initialized", "started"),
            (ADL + "attended", "started"),
            (ADL + "attempted", "started"),
            (ADL + "progressed", "started"),
            ("http://activitystrea.ms/schema/1.0/ignore", "dismissed"),
        ],
    )
    def test_mapped_verbs(self, verb: str, event: str) -> None:
        found = feedback(cmi5(verb))
        assert found is not None
        assert (found.event, found.rating, found.activity) == (event, None, "ai-201")

    def test_rated(self) -> None:
        found = feedback(rated({"raw": 4, "min": 1, "max": 5}))
        assert found is not None
        assert (found.event, found.rating) == ("rated", 4)

    def test_the_https_spelling_of_an_adl_verb_is_the_same_verb(self) -> None:
        found = feedback(cmi5("https://adlnet.gov/expapi/verbs/completed"))
        assert found is not None and found.event == "completed"

    @pytest.mark.parametrize(
        "verb",
        [
            ADL + "answered",
            ADL + "failed",
            ADL + "terminated",
            "http://id.tincanapi.com/verb/skipped",
            "https://w3id.org/xapi/video/verbs/seeked",
            "http://example.com/xapi/verbs#defenestrated",
            ADL + "COMPLETED",  # IRIs are case-sensitive
        ],
    )
    def test_other_verbs_yield_nothing(self, verb: str) -> None:
        assert feedback(cmi5(verb)) is None

    @pytest.mark.parametrize("verb", [ADL + "experienced", ADL + "attempted", ADL + "attended"])
    def test_completion_true_makes_a_view_or_start_a_completion(self, verb: str) -> None:
        found = feedback(cmi5(verb, result={"completion": True, "duration": "PT1234S"}))
        assert found is not None and found.event == "completed"

    def test_completion_false_changes_nothing(self) -> None:
        found = feedback(cmi5(ADL + "attempted", result={"completion": False}))
        assert found is not None and found.event == "started"

    @pytest.mark.parametrize(
        ("statement", "event"),
        [
            (rated({"raw": 2}, result={"score": {"raw": 2}, "completion": True}), "rated"),
            (
                cmi5("http://activitystrea.ms/schema/1.0/ignore", result={"completion": True}),
                "dismissed",
            ),
        ],
    )
    def test_completion_does_not_override_a_rating_or_a_dismissal(
        self, statement: dict[str, Any], event: str
    ) -> None:
        found = feedback(statement)
        assert found is not None and found.event == event

    def test_the_spec_attended_example_by_an_identified_group(self) -> None:
        """xAPI 1.0.3 Appendix A's long example, pointed at a catalogue activity."""
        statement = {
            "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
            "actor": {
                "name": "Team PB",
                "mbox": "mailto:teampb@example.com",
                "member": [
                    {"account": {"homePage": "http://www.example.com", "name": "13936749"}},
                    {"openid": "http://toby.openid.example.org/", "objectType": "Agent"},
                    {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
                ],
                "objectType": "Group",
            },
            "verb": {"id": ADL + "attended", "display": {"en-GB": "attended"}},
            "result": {"success": True, "completion": True, "duration": "PT1H0M0S"},
            "timestamp": "2013-05-18T05:32:34.804+00:00",
            "stored": "2013-05-18T05:32:34.804+00:00",
            "version": "1.0.0",
            "object": {"id": "https://cpdrec.example.org/v1/activities/dsg-101"},
        }
        found = only(statement)
        sha1 = hashlib.sha1(b"mailto:teampb@example.com").hexdigest()
        assert (found.subject, found.activity, found.event) == (
            f"mbox_sha1sum:{sha1}",
            "dsg-101",
            "completed",
        )
        assert found.at == datetime(2013, 5, 18, 5, 32, 34, 804000, tzinfo=UTC)


class TestIgnored:
    def test_voiding_is_not_supported(self) -> None:
        """The spec's own voiding example: it yields nothing, and is not an error."""
        statement = {
            "actor": {"objectType": "Agent", "name": "Admin", "mbox": "mailto:admin@example.org"},
            "verb": {"id": ADL + "voided", "display": {"en-US": "voided"}},
            "object": {"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"},
        }
        assert feedback_from_body(statement, resolve).feedback == ()

    def test_voided_with_an_activity_object_is_still_ignored(self) -> None:
        assert feedback(cmi5(ADL + "voided")) is None

    def test_unknown_activity(self) -> None:
        statement = moodle_completed()
        statement["object"]["id"] = "https://moodle.example.sch.uk/mod/forum/view.php?id=3"
        assert feedback(statement) is None

    @pytest.mark.parametrize(
        "obj",
        [
            {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
            {"objectType": "Agent", "mbox": "mailto:colleague@example.org"},
            {
                "objectType": "SubStatement",
                "actor": {"mbox": "mailto:test@example.com"},
                "verb": {"id": ADL + "completed"},
                "object": {"id": "urn:cpdrec:activity:ai-201"},
            },
        ],
    )
    def test_objects_other_than_activities(self, obj: dict[str, Any]) -> None:
        assert feedback(cmi5(ADL + "completed", object=obj)) is None

    def test_resolve_is_asked_only_when_the_statement_could_count(self) -> None:
        asked: list[str] = []

        def recording(iri: str) -> str | None:
            asked.append(iri)
            return resolve(iri)

        body = [cmi5(ADL + "answered"), cmi5(ADL + "voided"), cmi5(ADL + "completed")]
        for statement in parse_statements(body):
            to_feedback(statement, recording)
        assert asked == ["urn:cpdrec:activity:ai-201"]

    def test_an_anonymous_group_yields_nothing(self) -> None:
        group = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.org"}]}
        assert feedback(cmi5(ADL + "completed", actor=group)) is None


class TestRatings:
    @pytest.mark.parametrize(
        ("score", "stars"),
        [
            ({"raw": 4}, 4),  # 1..5 when min and max are absent
            ({"raw": 1}, 1),
            ({"raw": 2.5}, 3),  # half up
            ({"raw": 7, "min": 0, "max": 10}, 4),  # 1 + 7 * 4 / 10 = 3.8
            ({"raw": 0, "min": 0, "max": 10}, 1),
            ({"raw": 10, "min": 0, "max": 10}, 5),
            ({"raw": 2, "max": 3}, 3),  # min defaults to 1: 1 + 1 * 4 / 2
            ({"raw": 0, "min": 0}, 1),  # max defaults to 5
            ({"raw": 80, "min": 0, "max": 100, "scaled": -1}, 4),  # raw wins over scaled
            ({"scaled": -1}, 1),  # scaled is -1..1 in xAPI
            ({"scaled": 0}, 3),
            ({"scaled": 0.25}, 4),  # 3.5, half up
            ({"scaled": 1}, 5),
        ],
    )
    def test_score_to_stars(self, score: dict[str, Any], stars: int) -> None:
        assert stars_of(score) == stars

    @pytest.mark.parametrize("result", [None, {}, {"score": {}}, {"response": "5 stars"}])
    def test_a_rating_without_a_score_is_an_error_at_result_score(
        self, result: dict[str, Any] | None
    ) -> None:
        statement = rated(None) if result is None else rated(None, result=result)
        assert fields(statement, from_body) == ["result.score"]
        assert fields([moodle_completed(), statement], from_body) == ["[1].result.score"]

    def test_a_raw_rating_outside_the_default_scale_is_an_error(self) -> None:
        assert problems(rated({"raw": 7}), from_body) == [
            "result.score.raw: a rating must lie within min and max (1 and 5 when not given)"
        ]

    def test_a_rating_of_something_else_needs_no_score(self) -> None:
        """An LRS forwards ratings of forum posts too; they are not ours to reject."""
        statement = rated(None, object={"id": "https://moodle.example.sch.uk/mod/forum?id=9"})
        assert feedback_from_body(statement, resolve).feedback == ()

    @pytest.mark.parametrize(
        ("score", "field"),
        [
            ({"scaled": 1.5}, "result.score.scaled"),
            ({"scaled": -1.01}, "result.score.scaled"),
            ({"raw": 11, "min": 0, "max": 10}, "result.score"),
            ({"raw": -1, "min": 0, "max": 10}, "result.score"),
            ({"raw": 3, "min": 5, "max": 5}, "result.score"),
            ({"raw": "4"}, "result.score.raw"),
            ({"raw": True}, "result.score.raw"),
        ],
    )
    def test_scores_that_break_xapi_are_errors_wherever_they_are(
        self, score: dict[str, Any], field: str
    ) -> None:
        unknown = {"id": "https://elsewhere.example.org/x"}
        assert fields(rated(score, object=unknown)) == [field]

    @given(
        low=st.integers(-1000, 1000),
        span=st.integers(1, 1000),
        a=st.floats(0, 1),
        b=st.floats(0, 1),
    )
    def test_raw_ratings_are_monotone_and_cover_the_scale(
        self, low: int, span: int, a: float, b: float
    ) -> None:
        high = low + span
        one, two = sorted((low + a * span, low + b * span))
        stars = [stars_of({"raw": raw, "min": low, "max": high}) for raw in (low, one, two, high)]
        assert stars[0] == 1 and stars[-1] == 5
        assert stars == sorted(stars)

    @given(a=st.floats(-1, 1), b=st.floats(-1, 1))
    def test_scaled_ratings_are_monotone_within_the_scale(self, a: float, b: float) -> None:
        low, high = sorted((a, b))
        stars = [stars_of({"scaled": s}) for s in (low, high)]
        assert 1 <= stars[0] <= stars[1] <= 5


class TestSubjects:
    def test_an_account_is_the_lms_user_id(self) -> None:
        assert only(moodle_completed()).subject == "1047"

    def test_an_accounts_home_page_is_not_part_of_the_subject(self) -> None:
        other = moodle_completed()
        other["actor"]["account"]["homePage"] = "https://moodle2.example.sch.uk"
        assert only(other).subject == only(moodle_completed()).subject

    def test_mbox_and_its_sha1sum_are_the_same_subject_and_the_email_is_gone(self) -> None:
        sha1 = hashlib.sha1(b"mailto:Ann.Teacher@example.sch.uk").hexdigest()
        by_mbox = only(cmi5(ADL + "completed"))
        by_sum = only(cmi5(ADL + "completed", actor={"mbox_sha1sum": sha1.upper()}))
        assert by_mbox.subject == by_sum.subject == f"mbox_sha1sum:{sha1}"
        for found in (by_mbox, by_sum):
            assert "ann.teacher" not in repr(found).lower()
            assert "example" not in repr(found).lower()

    def test_only_the_domain_of_an_mbox_is_case_insensitive(self) -> None:
        lower = only(cmi5(ADL + "completed", actor={"mbox": f"mailto:{EMAIL.lower()}"}))
        assert lower.subject != only(cmi5(ADL + "completed")).subject

    @given(
        local=st.from_regex(r"[A-Za-z0-9._%+-]{1,20}", fullmatch=True),
        domain=st.from_regex(r"[A-Za-z0-9-]{1,12}\.[A-Za-z]{2,6}", fullmatch=True),
    )
    def test_no_email_survives_into_feedback(self, local: str, domain: str) -> None:
        mbox = f"mailto:{local}@{domain}"
        sha1 = hashlib.sha1(f"mailto:{local}@{domain.lower()}".encode()).hexdigest()
        by_mbox = only(cmi5(ADL + "completed", actor={"mbox": mbox}))
        by_sum = only(cmi5(ADL + "completed", actor={"mbox_sha1sum": sha1}))
        assert by_mbox == XapiFeedback(**{**vars(by_sum), "statement_id": by_mbox.statement_id})
        assert "@" not in repr(by_mbox) and "@" not in repr(vars(by_mbox))

    def test_openid(self) -> None:
        found = only(cmi5(ADL + "completed", actor={"openid": "https://id.example.org/ann"}))
        assert found.subject == "openid:https://id.example.org/ann"

    def test_an_identified_group_is_like_an_agent(self) -> None:
        group = {
            "objectType": "Group",
            "account": {"homePage": "https://moodle.example.sch.uk", "name": "dept-42"},
        }
        assert only(cmi5(ADL + "completed", actor=group)).subject == "dept-42"


BAD_MBOX = "actor.mbox: must be a mailto IRI: mailto:name@domain"
AGENT_OR_GROUP = "Input should be 'Agent' or 'Group'"


class TestInvalid:
    @pytest.mark.parametrize(
        ("actor", "expected"),
        [
            (
                {"name": "Ann"},
                "actor: must have exactly one inverse functional identifier "
                "(mbox, mbox_sha1sum, openid or account); found none",
            ),
            (
                {"mbox": "mailto:ann@example.org", "account": {"homePage": "h:l", "name": "1"}},
                "actor: must have exactly one inverse functional identifier; found mbox, account",
            ),
            ({"mbox": "ann@example.org"}, BAD_MBOX),
            ({"mbox": "mailto:ann"}, BAD_MBOX),
            ({"mbox": "mailto:a nn@example.org"}, BAD_MBOX),
            (
                {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee"},
                "actor.mbox_sha1sum: must be 40 hex digits (the SHA-1 of a mailto IRI)",
            ),
            (
                {"account": {"homePage": "https://lms.example.org"}},
                "actor.account.name: Field required",
            ),
            (
                {"account": {"homePage": "lms.example.org", "name": "7"}},
                "actor.account.homePage: must be an absolute IRI (scheme:..., no spaces)",
            ),
            (
                {"objectType": "Group"},
                "actor: an anonymous group (no identifier) must list its members",
            ),
            (
                {"objectType": "Person", "mbox": "mailto:a@b.org"},
                f"actor.objectType: {AGENT_OR_GROUP}",
            ),
        ],
    )
    def test_actors(self, actor: dict[str, Any], expected: str) -> None:
        assert problems(cmi5(ADL + "completed", actor=actor)) == [expected]

    def test_errors_in_a_batch_name_the_statement(self) -> None:
        body = [cmi5(ADL + "completed"), cmi5(ADL + "completed", actor={"mbox": "ann"})]
        body[0]["id"] = "c70c2b85-c294-464f-baca-cebd4fb9b348"
        assert fields(body) == ["[1].actor.mbox"]

    def test_a_group_member_must_be_an_identified_agent(self) -> None:
        group = {"objectType": "Group", "member": [{"mbox": "mailto:a@b.org"}, {"name": "B"}]}
        assert fields(cmi5(ADL + "completed", actor=group)) == ["actor.member.1"]

    @pytest.mark.parametrize(
        "bad",
        [
            "6f1a3c1e0b9e4f539a522d1c3b0e7a10",
            "{6f1a3c1e-0b9e-4f53-9a52-2d1c3b0e7a10}",
            "urn:uuid:6f1a3c1e-0b9e-4f53-9a52-2d1c3b0e7a10",
            "6f1a3c1e-0b9e-4f53-9a52-2d1c3b0e7a1",
            "not-a-uuid",
            "",
            42,
        ],
    )
    def test_statement_ids_must_be_uuids_in_standard_form(self, bad: object) -> None:
        assert fields(cmi5(ADL + "completed", id=bad)) == ["id"]

    def test_any_uuid_version_is_accepted(self) -> None:
        """The spec's own minimal example uses an id of no RFC 4122 variant."""
        [statement] = parse_statements(
            cmi5(ADL + "completed", id="12345678-1234-5678-1234-567812345678")
        )
        assert statement.id == "12345678-1234-5678-1234-567812345678"

    def test_statement_ids_are_unique_within_a_post(self) -> None:
        same = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
        body = [
            cmi5(ADL + "launched", id=same),
            moodle_completed(),
            cmi5(ADL + "completed", id="7ccd3322-e1a5-411a-a67d-6a735c76f119"),
            cmi5(ADL + "completed", id=same.upper()),  # the same UUID
        ]
        assert problems(body) == [f"[3].id: duplicate statement id {same} (first at [0])"]

    @pytest.mark.parametrize(
        "bad",
        [
            "2025-02-28",
            "28/02/2025 14:05",
            "2025-02-30T10:00:00Z",
            "2025-02-28T25:00:00Z",
            "20250228T140509Z",
            "yesterday",
            1740751509,
        ],
    )
    def test_timestamps(self, bad: object) -> None:
        assert fields(cmi5(ADL + "completed", timestamp=bad)) == ["timestamp"]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"verb": {"display": {"en": "completed"}}}, "verb.id"),
            ({"verb": {"id": "completed"}}, "verb.id"),
            ({"object": {"objectType": "Activity"}}, "object.id"),
            ({"object": {"id": "activities/ai-201"}}, "object.id"),
            ({"object": {"objectType": "Course", "id": "urn:x:1"}}, "object.objectType"),
            ({"result": {"completion": "true"}}, "result.completion"),
            ({"version": "0.95"}, "version"),
            ({"version": "2.0.0"}, "version"),
        ],
    )
    def test_other_fields_we_use(self, change: dict[str, Any], field: str) -> None:
        assert fields({**cmi5(ADL + "completed"), **change}) == [field]

    def test_missing_parts(self) -> None:
        assert fields({"id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}) == ["actor", "verb", "object"]

    def test_every_problem_in_a_batch_is_reported(self) -> None:
        body = [
            cmi5(ADL + "completed", timestamp="soon"),
            moodle_completed(),
            cmi5(ADL + "completed", actor={}),
        ]
        assert fields(body) == ["[0].timestamp", "[2].actor"]

    def test_errors_do_not_echo_the_email(self) -> None:
        statement = cmi5(ADL + "completed", actor={"mbox": "mailto:ann@", "openid": "x"})
        assert not any("ann" in line for line in problems(statement))


class TestTimestamps:
    @pytest.mark.parametrize(
        ("stamp", "utc"),
        [
            ("2025-02-28T14:05:09.123+01:00", datetime(2025, 2, 28, 13, 5, 9, 123000, UTC)),
            ("2015-06-10T15:31:41+01:00", datetime(2015, 6, 10, 14, 31, 41, tzinfo=UTC)),
            ("2025-02-28T09:00:00-05:30", datetime(2025, 2, 28, 14, 30, tzinfo=UTC)),
            ("2025-02-28T14:05:09Z", datetime(2025, 2, 28, 14, 5, 9, tzinfo=UTC)),
            ("2025-02-28t14:05:09z", datetime(2025, 2, 28, 14, 5, 9, tzinfo=UTC)),
            ("2025-02-28 14:05:09-00:00", datetime(2025, 2, 28, 14, 5, 9, tzinfo=UTC)),
            ("2025-02-28T14:05:09.1234567Z", datetime(2025, 2, 28, 14, 5, 9, 123456, UTC)),
            ("2025-02-28T14:05:09+0100", datetime(2025, 2, 28, 13, 5, 9, tzinfo=UTC)),
            ("2025-02-28T14:05", datetime(2025, 2, 28, 14, 5, tzinfo=UTC)),  # no offset: UTC
        ],
    )
    def test_normalised_to_utc(self, stamp: str, utc: datetime) -> None:
        at = only(cmi5(ADL + "completed", timestamp=stamp)).at
        assert at == utc and at.tzinfo is UTC

    def test_no_timestamp_means_now(self) -> None:
        assert only(moodle_completed()).at == NOW
        before = datetime.now(UTC)
        found = feedback_from_body(moodle_completed(), resolve).feedback[0]
        assert before <= found.at <= datetime.now(UTC)

    @given(
        moment=st.datetimes(
            min_value=datetime(1971, 1, 1),
            max_value=datetime(2100, 1, 1),
            timezones=st.builds(
                timezone,
                st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m)),
            ),
        )
    )
    def test_any_offset_gives_the_same_instant_in_utc(self, moment: datetime) -> None:
        found = only(cmi5(ADL + "completed", timestamp=moment.isoformat()))
        assert found.at == moment and found.at.utcoffset() == timedelta(0)


class TestIds:
    def test_a_statement_keeps_its_id(self) -> None:
        assert only(cmi5(ADL + "completed", id=KEPT)).statement_id == KEPT

    def test_ids_are_lowercased(self) -> None:
        upper = "6F1A3C1E-0B9E-4F53-9A52-2D1C3B0E7A10"
        assert only(cmi5(ADL + "completed", id=upper)).statement_id == upper.lower()

    def test_a_missing_id_becomes_a_new_uuid4(self) -> None:
        first = feedback(moodle_completed())
        second = feedback(moodle_completed())
        assert first is not None and second is not None
        assert first.statement_id != second.statement_id
        assert first.statement_id[14] == "4"


class TestActivityRef:
    @pytest.mark.parametrize(
        ("iri", "ref"),
        [
            ("urn:cpdrec:activity:ai-201", "ai-201"),
            ("URN:CPDREC:Activity:ai-201", "ai-201"),
            ("urn:cpdrec:activity:feedback%20loops", "feedback loops"),
            ("https://cpdrec.example.org/v1/activities/ai-201", "ai-201"),
            ("https://cpdrec.example.org/v1/activities/ai-201?utm_source=lms#top", "ai-201"),
            ("http://lms.example.org/activities/dsg%2F101", "dsg/101"),
            ("https://lms.example.org/activities/", None),
            ("https://lms.example.org/activities/ai-201/", None),
            ("https://lms.example.org/myactivities/ai-201", None),
            ("https://lms.example.org/activities/ai-201/reviews", None),
            ("urn:cpdrec:activity:", None),
            ("urn:cpdrec:activity:%20padded", None),
            ("urn:cpdrec:activity:" + "x" * 101, None),
            ("urn:other:activity:ai-201", None),
            ("activities/ai-201", None),
            (COURSE_URL, None),
        ],
    )
    def test_forms(self, iri: str, ref: str | None) -> None:
        assert activity_ref(iri) == ref


class TestVersion:
    def test_the_version_we_speak(self) -> None:
        assert XAPI_VERSION == "1.0.3"

    @pytest.mark.parametrize("header", [None, "1.0", "1.0.0", "1.0.3", " 1.0.3 ", "1.0.12"])
    def test_accepted(self, header: str | None) -> None:
        assert check_version(header) is None

    @pytest.mark.parametrize("header", ["0.95", "0.9", "1.1.0", "2.0.0", "1", "1.0.x", ""])
    def test_refused_with_a_reason(self, header: str) -> None:
        message = check_version(header)
        assert message is not None and "1.0.x" in message and repr(header.strip()) in message


def test_statements_are_not_mutated() -> None:
    body = [moodle_completed(), rated({"raw": 3})]
    before = copy.deepcopy(body)
    feedback_from_body(body, resolve)
    assert body == before
