from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.activities import (
    Activity,
    load_catalogue,
    read_csv,
    read_json,
    write_csv,
    write_json,
)
from recommender.errors import InvalidInput
from recommender.frameworks import Framework

HEADER = "id,title,description,format,duration_hours,cost,provider,url,tags\n"
GOOD = (
    'A1,Intro,"Learn, safely",online,2,0,Hub,https://example.org/a,d2030-commitment:1.3:embedding\n'
)


def located(exc: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[int | None, int | None, str]]:
    return [(p.line, p.column, p.field) for p in exc.value.problems]


def test_reads_a_valid_row(framework_map: dict[str, Framework]) -> None:
    [a] = read_csv(HEADER + GOOD, framework_map)
    assert (a.id, a.description, a.duration_hours, a.cost) == ("A1", "Learn, safely", 2.0, 0.0)
    assert [str(t) for t in a.tags] == ["d2030-commitment:1.3:embedding"]


def test_reports_every_bad_row_with_line_and_column(framework_map: dict[str, Framework]) -> None:
    text = (
        HEADER
        + GOOD
        + "A2,T,D,webinar,1,0,,,\n"  # line 3: bad format (column 4)
        + "A3,T,D,online,-1,x,,,\n"  # line 4: negative duration (5), non-numeric cost (6)
        + "A4,T,D,online,1,0,,,d2030-commitment:1.9:embedding\n"  # line 5: unknown strand
        + "A5,T,D,online,1,0,,,naace-srf-5a:5a-1:embedding\n"  # line 6: unknown level
        + "A1,T,D,online,1,0,,,\n"  # line 7: duplicate id
        + "A7,T,D,online,1,0,,,not-a-tag\n"  # line 8: malformed tag
    )
    with pytest.raises(InvalidInput) as exc:
        read_csv(text, framework_map, source="c.csv")
    assert located(exc) == [
        (3, 4, "format"),
        (4, 6, "cost"),
        (4, 5, "duration_hours"),
        (5, 9, "tags"),
        (6, 9, "tags"),
        (7, 1, "id"),
        (8, 9, "tags"),
    ]
    assert str(exc.value.problems[0]).startswith("c.csv:3:4: format: ")


def test_line_numbers_follow_quoted_newlines(framework_map: dict[str, Framework]) -> None:
    text = HEADER + 'A1,T,"two\nlines",online,1,0,,,\n' + "A2,T,D,nope,1,0,,,\n"
    with pytest.raises(InvalidInput) as exc:
        read_csv(text, framework_map)
    assert located(exc) == [(4, 4, "format")]


def test_header_problems(framework_map: dict[str, Framework]) -> None:
    with pytest.raises(InvalidInput) as exc:
        read_csv("id,title,colour\n", framework_map)
    fields = {p.field for p in exc.value.problems}
    assert {"description", "format", "colour"} <= fields


def test_empty_file(framework_map: dict[str, Framework]) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        read_csv("", framework_map)


def test_wrong_cell_count(framework_map: dict[str, Framework]) -> None:
    with pytest.raises(InvalidInput, match="expected 9 cells, found 2"):
        read_csv(HEADER + "A1,T\n", framework_map)


def test_columns_in_any_order_and_bom(framework_map: dict[str, Framework]) -> None:
    text = "\ufefftitle,id,format,description\nIntro,A1,blended,Words\n"
    [a] = read_csv(text, framework_map)
    assert (a.id, a.format, a.tags, a.duration_hours) == ("A1", "blended", (), None)


def test_tags_of_frameworks_not_loaded_are_kept_not_rejected() -> None:
    [a] = read_csv(HEADER + "A1,T,D,online,,,,,other-framework:x:y\n", {})
    assert [str(t) for t in a.tags] == ["other-framework:x:y"]


def test_json_catalogue(framework_map: dict[str, Framework]) -> None:
    data = [
        {
            "id": "A1",
            "title": "T",
            "description": "D",
            "format": "community",
            "tags": [{"framework": "naace-srf-5a", "strand": "5a-3", "level": "2"}],
        }
    ]
    [a] = read_json(json.dumps(data), framework_map)
    assert str(a.tags[0]) == "naace-srf-5a:5a-3:2"


def test_json_catalogue_errors_name_index_and_field(framework_map: dict[str, Framework]) -> None:
    data = [
        {"id": "A1", "title": "T", "description": "D", "format": "online"},
        {"id": "A1", "title": "T", "description": "D", "format": "online", "cost": -2},
    ]
    with pytest.raises(InvalidInput) as exc:
        read_json(json.dumps(data), framework_map)
    assert [p.field for p in exc.value.problems] == ["[1].cost"]
    data[1]["cost"] = 2
    with pytest.raises(InvalidInput, match="duplicate id 'A1'"):
        read_json(json.dumps(data), framework_map)


def test_malformed_json_names_position(framework_map: dict[str, Framework]) -> None:
    with pytest.raises(InvalidInput) as exc:
        read_json('[\n {"id": }]', framework_map)
    assert (exc.value.problems[0].line, exc.value.problems[0].column) == (2, 9)


@pytest.mark.parametrize("writer,suffix", [(write_csv, ".csv"), (write_json, ".json")])
def test_round_trip(
    tmp_path: Path,
    framework_map: dict[str, Framework],
    activities: list[Activity],
    writer: object,
    suffix: str,
) -> None:
    path = tmp_path / f"cat{suffix}"
    path.write_text(writer(activities), encoding="utf-8")  # type: ignore[operator]
    assert load_catalogue(path, framework_map) == activities


def test_unreadable_file_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"id,title\n\xff\xfe\n")
    with pytest.raises(InvalidInput, match="cannot read file"):
        load_catalogue(path, {})
