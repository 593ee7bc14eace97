"""Whatever a browser (or someone crafting requests) sends to a page, the answer is a page or a
redirect, never a server error: Hypothesis generates the forms and query strings."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_web_practitioner import save, self_key, walk
from tests.web import Browser

Tenants = dict[str, dict[str, dict[str, str]]]
D2030 = "d2030-commitment"

# Field names the pages read, plus noise; values from plausible to hostile.
NAMES = st.sampled_from(
    [
        "step", "go", "affirmed", "level-1.1", "level-1.3", "target-1.1", "target-9", "role",
        "activity", "event", "rating", "back", "confirm", "id", "title", "description", "format",
        "duration_hours", "cost", "provider", "url", "tags", "version", "action", "csv",
        "filename", "person", "expires_days", "key", "review.d2030-commitment:1.3:exploring",
        "targets.1.1", "new_role", "remove", "zzz", "max_hours", "max_cost", "q", "page",
        "framework", "state", "owner", "untagged", "notice", "saved", "revoked", "next",
    ]
)  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(
        ["", "next", "back", "save", "role", "1.1/exploring/0", "|below", "embedding", "A001",
         "completed", "rated", "5", "-1", "1e309", "nan", "online", "yes", "check", "import",
         "accept", "//evil.example", "d2030-commitment:1.3:exploring"]
    ),
    st.text(max_size=40),
    st.text(min_size=101, max_size=400),  # past the columns' lengths (PostgreSQL enforces them)
    st.from_regex(r"-?[0-9]{0,4}(\.[0-9]{0,3})?(e[0-9]{1,3})?", fullmatch=True),
)  # fmt: skip
FORMS = st.lists(st.tuples(NAMES, VALUES), max_size=8)

POSTS = [
    f"/assess/{D2030}",
    "/feedback",
    "/my-data/erase",
    "/catalogue/new",
    "/catalogue/A001/edit",
    "/catalogue/import",
    "/catalogue/A001/tags",
    f"/targets?framework={D2030}",
    "/people",
    "/people/revoke",
]
GETS = ["/catalogue", f"/results/{D2030}", "/coverage", "/gaps", "/targets", "/people"]


@pytest.fixture
def visitors(
    api: TestClient, browsers: Callable[[dict[str, str]], Browser], tenants: Tenants
) -> list[Browser]:
    """An administrator and a practitioner with an assessment: every page is open to them."""
    person = browsers(self_key("college-a"))
    save(person, walk(person, ["1.1/exploring/0"], {}), {"1.1": "embedding"})
    return [browsers(tenants["college-a"]["admin"]), person]


def _fields(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(form=FORMS, path=st.sampled_from(POSTS))
def test_no_posted_form_makes_a_server_error(
    visitors: list[Browser], form: list[tuple[str, str]], path: str
) -> None:
    for person in visitors:
        response = person.post(path, data=_fields(form))
        assert response.status_code < 500, (path, form, response.text[:500])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=FORMS, path=st.sampled_from(GETS))
def test_no_query_string_makes_a_server_error(
    visitors: list[Browser], query: list[tuple[str, str]], path: str
) -> None:
    for person in visitors:
        response = person.get(f"{path}{'&' if '?' in path else '?'}{urlencode(query)}")
        assert response.status_code < 500, (path, query)
