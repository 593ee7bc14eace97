from __future__ import annotations

import pytest

from recommender.assessment import answers_from_statements, assess, current_level, statement_id
from recommender.errors import InvalidInput
from recommender.frameworks import Framework
from recommender.profiles import check_profile, gaps


@pytest.fixture
def d2030(framework_map: dict[str, Framework]) -> Framework:
    return framework_map["d2030-commitment"]


def test_nothing_affirmed_means_not_yet_started(d2030: Framework) -> None:
    assert current_level(d2030, "1.1", {}) is None


def test_levels_are_cumulative(d2030: Framework) -> None:
    # 1.1 has 2 exploring and 2 embedding statements: half of each suffices by default.
    assert current_level(d2030, "1.1", {"exploring": [0]}) == "exploring"
    assert current_level(d2030, "1.1", {"exploring": [0, 1], "embedding": [1]}) == "embedding"
    # Affirming a higher level does not skip an unmet lower one.
    assert current_level(d2030, "1.1", {"embedding": [0, 1], "transforming": [0, 1, 2]}) is None


def test_min_share_raises_the_bar(d2030: Framework) -> None:
    assert current_level(d2030, "1.1", {"exploring": [0]}, min_share=1.0) is None
    assert current_level(d2030, "1.1", {"exploring": [0, 1]}, min_share=1.0) == "exploring"


def test_naace_uses_its_own_order(framework_map: dict[str, Framework]) -> None:
    naace = framework_map["naace-srf-5a"]
    assert current_level(naace, "5a-4", {"4": [0, 1], "3": [0, 1]}) == "3"
    assert current_level(naace, "5a-4", {"1": [0, 1, 2]}) is None


def test_assess_builds_a_valid_gap_profile(
    d2030: Framework, framework_map: dict[str, Framework]
) -> None:
    profile = assess(
        d2030,
        {"1.1": {"exploring": [0, 1]}, "1.3": {"exploring": [0], "embedding": [0]}},
        {"1.1": "transforming", "1.3": "embedding", "1.4": "exploring"},
        profile_id="me",
    )
    check_profile(profile, framework_map)
    assert {s: (g.current, g.target) for s, g in profile.levels.items()} == {
        "1.1": ("exploring", "transforming"),
        "1.3": ("embedding", "embedding"),
        "1.4": (None, "exploring"),
    }
    assert [g.strand for g in gaps(profile, d2030)] == ["1.1", "1.4"]


def test_target_below_derived_level_means_no_gap(d2030: Framework) -> None:
    profile = assess(d2030, {"1.2": {"exploring": [0], "embedding": [0]}}, {"1.2": "exploring"})
    assert profile.levels["1.2"].target == "embedding"
    assert gaps(profile, d2030) == []


@pytest.mark.parametrize(
    "answers,targets,field",
    [
        ({"9.9": {"exploring": [0]}}, {}, "answers.9.9"),
        ({"1.1": {"expert": [0]}}, {}, "answers.1.1.expert"),
        ({"1.3": {"exploring": [1]}}, {}, "answers.1.3.exploring"),
        ({}, {"1.1": "expert"}, "targets.1.1"),
        ({}, {"9.9": "exploring"}, "targets.9.9"),
    ],
)
def test_bad_answers_name_the_field(
    d2030: Framework,
    answers: dict[str, dict[str, list[int]]],
    targets: dict[str, str],
    field: str,
) -> None:
    with pytest.raises(InvalidInput) as exc:
        assess(d2030, answers, targets)
    assert exc.value.problems[0].field == field


def test_statement_ids_are_stable() -> None:
    assert statement_id("1.3", "embedding", 0) == "1.3/embedding/0"


def test_levels_can_be_chosen_directly(d2030: Framework) -> None:
    profile = assess(
        d2030,
        {"1.1": {"exploring": [0, 1]}},
        {"1.1": "transforming", "1.2": "transforming"},
        chosen={"1.2": "embedding", "1.3": None},
    )
    assert {s: (g.current, g.target) for s, g in profile.levels.items()} == {
        "1.1": ("exploring", "transforming"),
        "1.2": ("embedding", "transforming"),
    }


def test_a_known_level_without_target_is_kept_as_met(d2030: Framework) -> None:
    profile = assess(d2030, {"1.1": {"exploring": [0]}}, {}, chosen={"1.4": "embedding"})
    assert {s: (g.current, g.target) for s, g in profile.levels.items()} == {
        "1.1": ("exploring", "exploring"),
        "1.4": ("embedding", "embedding"),
    }
    assert gaps(profile, d2030) == []


@pytest.mark.parametrize(
    "chosen,field",
    [
        ({"9.9": "exploring"}, "levels.9.9"),
        ({"1.2": "expert"}, "levels.1.2"),
        ({"1.1": None}, "levels.1.1"),
    ],
)
def test_bad_chosen_levels_name_the_field(
    d2030: Framework, chosen: dict[str, str | None], field: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        assess(d2030, {"1.1": {"exploring": [0]}}, {}, chosen=chosen)
    assert exc.value.problems[0].field == field


def test_statement_ids_become_answers(d2030: Framework) -> None:
    answers = answers_from_statements(
        d2030, ["1.1/exploring/0", "1.1/exploring/1", "1.3/embedding/0"]
    )
    assert answers == {"1.1": {"exploring": [0, 1]}, "1.3": {"embedding": [0]}}


def test_every_bad_statement_id_is_reported(d2030: Framework) -> None:
    bad = ["1.1/exploring/0", "1.1/exploring/99", "9.9/exploring/0", "1.1/expert/0", "junk"]
    with pytest.raises(InvalidInput) as exc:
        answers_from_statements(d2030, bad)
    assert [p.field for p in exc.value.problems] == [
        "affirmed[1]",
        "affirmed[2]",
        "affirmed[3]",
        "affirmed[4]",
    ]
