from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recommender.errors import InvalidInput
from recommender.frameworks import Framework
from recommender.profiles import check_profile, gaps, parse_profile, read_profiles
from tests.conftest import PROFILE


def profile(**fields: Any) -> dict[str, Any]:
    return {"framework": "d2030-commitment", **fields}


def problems(data: dict[str, Any], framework_map: dict[str, Framework]) -> list[str]:
    with pytest.raises(InvalidInput) as exc:
        check_profile(parse_profile(data), framework_map)
    return [p.field for p in exc.value.problems]


def test_contract_example_is_valid(framework_map: dict[str, Framework]) -> None:
    p = parse_profile(
        {
            **PROFILE,
            "constraints": {
                "formats": ["online", "self-paced"],
                "max_duration_hours": 6,
                "max_cost": 0,
            },
            "query": "worried about how learners' data is stored on our VLE",
        }
    )
    f = check_profile(p, framework_map)
    found = gaps(p, f)
    assert [(g.strand, g.size, g.priority) for g in found] == [("1.1", 2, 1.0), ("1.3", 2, 2.0)]


def test_met_strands_and_zero_priority_are_not_gaps(framework_map: dict[str, Framework]) -> None:
    p = parse_profile(
        profile(
            levels={
                "1.1": {"current": "embedding", "target": "embedding"},
                "1.2": {"current": "exploring", "target": "embedding"},
            },
            priorities={"1.2": 0},
        )
    )
    assert gaps(p, check_profile(p, framework_map)) == []


@pytest.mark.parametrize(
    "data,field",
    [
        (profile(framework="nope"), "framework"),
        (profile(levels={"9.9": {"target": "embedding"}}), "levels.9.9"),
        (
            profile(levels={"1.1": {"current": "novice", "target": "embedding"}}),
            "levels.1.1.current",
        ),
        (profile(levels={"1.1": {"target": "expert"}}), "levels.1.1.target"),
        (
            profile(levels={"1.1": {"current": "transforming", "target": "exploring"}}),
            "levels.1.1.target",
        ),
        (profile(priorities={"9.9": 1}), "priorities.9.9"),
    ],
)
def test_semantic_errors_name_the_field(
    data: dict[str, Any], field: str, framework_map: dict[str, Framework]
) -> None:
    assert problems(data, framework_map) == [field]


@pytest.mark.parametrize(
    "data,field",
    [
        (profile(priorities={"1.1": -1}), "priorities.1.1"),
        (profile(priorities={"1.1": "high"}), "priorities.1.1"),
        (profile(priorities={"1.1": float("nan")}), "priorities.1.1"),
        (profile(constraints={"formats": ["webinar"]}), "constraints.formats.0"),
        (profile(constraints={"max_cost": -5}), "constraints.max_cost"),
        (profile(levels={"1.1": {"current": "exploring"}}), "levels.1.1.target"),
        (profile(colour="red"), "colour"),
        ({"levels": {}}, "framework"),
    ],
)
def test_shape_errors_name_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_profile(data)
    assert [p.field for p in exc.value.problems] == [field]


def test_read_profiles_reports_lines(tmp_path: Path, framework_map: dict[str, Framework]) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"id": "ok", "framework": "d2030-commitment"}\n'
        "\n"
        '{"id": "bad", "framework": "d2030-commitment", "levels": {"1.1": {"target": "x"}}}\n'
        "{not json\n"
    )
    with pytest.raises(InvalidInput) as exc:
        list(read_profiles(path, framework_map))
    assert [(p.line, p.field) for p in exc.value.problems] == [(3, "levels.1.1.target"), (4, "")]
    assert str(exc.value.problems[1]).startswith(f"{path}:4:2: invalid JSON")
