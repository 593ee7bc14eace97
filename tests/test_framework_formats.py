from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.case import export_case
from recommender.errors import InvalidInput
from recommender.framework_formats import detect_format, parse_framework_bytes, read_framework_file
from recommender.frameworks import Framework, load_framework
from tests.conftest import D2030, NAACE

DATA = Path(__file__).parent / "data" / "interchange"
CASE_FILE = DATA / "digital-safeguarding.case.json"
MOODLE_FILE = DATA / "digital-safeguarding.moodle.csv"
CASE_DATA = json.loads(CASE_FILE.read_text("utf-8"))
MOODLE_ROWS = list(csv.reader(io.StringIO(MOODLE_FILE.read_text("utf-8"))))


def problem_of(call: Any, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
    with pytest.raises(InvalidInput) as exc:
        call(*args, **kwargs)
    p = exc.value.problems[0]
    return (p.source, p.line, p.column, p.field, p.message)


class TestDetection:
    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            (D2030, "native"),
            (NAACE, "native"),
            (CASE_FILE, "case"),
            (MOODLE_FILE, "moodle"),
            (DATA / "moodle-old-headers.csv", "moodle"),
            (DATA / "case-syntax-error.json", None),
            (DATA / "not-a-moodle-framework.csv", None),
        ],
    )
    def test_detect_format(self, path: Path, expected: str | None) -> None:
        assert detect_format(path.read_text("utf-8")) == expected


class TestReadFile:
    @pytest.mark.parametrize("path", [D2030, NAACE])
    def test_native_files_read_as_the_native_loader_does(self, path: Path) -> None:
        assert read_framework_file(path) == load_framework(path)

    def test_case_and_moodle_files(self) -> None:
        case = read_framework_file(CASE_FILE)
        moodle = read_framework_file(MOODLE_FILE)
        assert case.id == "digital-safeguarding-for-school-staff"
        assert moodle.id == "dsg-2025"
        assert [s.descriptors for s in case.strands] == [s.descriptors for s in moodle.strands]

    @pytest.mark.parametrize("path", [D2030, CASE_FILE, MOODLE_FILE])
    def test_id_and_subject_overrides_apply_to_every_format(self, path: Path) -> None:
        f = read_framework_file(path, framework_id="renamed", subject="organisation")
        assert (f.id, f.subject) == ("renamed", "organisation")

    def test_exported_case_file_reads_back_equal(
        self, tmp_path: Path, framework_map: dict[str, Framework]
    ) -> None:
        original = framework_map["d2030-commitment"]
        path = tmp_path / "d2030.case.json"
        path.write_text(json.dumps(export_case(original), indent=2), "utf-8")
        assert read_framework_file(path) == original

    def test_missing_file(self, tmp_path: Path) -> None:
        path = tmp_path / "nope.json"
        assert problem_of(read_framework_file, path) == (
            str(path),
            None,
            None,
            "",
            "cannot read file: No such file or directory",
        )

    def test_json_syntax_error_has_line_and_column(self) -> None:
        path = DATA / "case-syntax-error.json"
        assert problem_of(read_framework_file, path) == (
            str(path),
            7,
            5,
            "",
            "invalid JSON: Expecting ',' delimiter",
        )

    def test_invalid_native_framework_names_the_field(self, tmp_path: Path) -> None:
        doc = json.loads(D2030.read_text("utf-8"))
        doc["levels"][0]["id"] = "a:b"
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(doc), "utf-8")
        source, _, _, field, message = problem_of(read_framework_file, path)
        assert (source, field, message) == (str(path), "levels.0.id", "must not contain ':' or '|'")

    def test_case_problems_name_the_file(self) -> None:
        path = DATA / "case-no-rubric.json"
        assert problem_of(read_framework_file, path)[:4] == (str(path), None, None, "CFItems.1")


class TestParseBytes:
    @pytest.mark.parametrize(
        "hint",
        ["upload.json", "application/json", "application/json; charset=utf-8", None, "blob"],
    )
    def test_case_json_under_any_hint(self, hint: str | None) -> None:
        assert parse_framework_bytes(CASE_FILE.read_bytes(), hint).id == (
            "digital-safeguarding-for-school-staff"
        )

    @pytest.mark.parametrize(
        "hint",
        ["upload.csv", "text/csv", "text/csv; charset=utf-8", "application/vnd.ms-excel", None],
    )
    def test_moodle_csv_under_any_hint(self, hint: str | None) -> None:
        assert parse_framework_bytes(MOODLE_FILE.read_bytes(), hint).id == "dsg-2025"

    def test_utf8_bom_is_accepted(self) -> None:
        data = b"\xef\xbb\xbf" + D2030.read_bytes()
        assert parse_framework_bytes(data, "d2030.json") == load_framework(D2030)

    def test_a_file_name_names_the_upload_and_a_content_type_does_not(self) -> None:
        bad = b'{"CFDocument": {"identifier": "x"}}'
        assert problem_of(parse_framework_bytes, bad, "mine.json")[0] == "mine.json"
        assert problem_of(parse_framework_bytes, bad, "application/json")[0] is None

    def test_non_utf8_bytes_give_line_and_column(self) -> None:
        data = MOODLE_FILE.read_bytes().replace(b"Secure", b"S\xe9cure", 1)
        line = MOODLE_FILE.read_bytes().split(b"Secure")[0].count(b"\n") + 1
        source, got_line, column, _, message = problem_of(parse_framework_bytes, data, "ds.csv")
        assert (source, got_line) == ("ds.csv", line)
        assert column is not None and column > 1
        assert message == "not UTF-8 text (byte 0xe9); save the file as UTF-8"

    def test_unrecognised_text(self) -> None:
        assert problem_of(parse_framework_bytes, b"just some notes\n", "notes.txt") == (
            "notes.txt",
            1,
            None,
            "",
            "unrecognised framework format: expected native framework JSON, a CASE 1.0 package "
            "(JSON with a CFDocument) or a Moodle competency framework CSV",
        )

    def test_hint_decides_which_error_a_broken_upload_gets(self) -> None:
        assert problem_of(parse_framework_bytes, b"oops", "f.json")[1:] == (
            1,
            1,
            "",
            "invalid JSON: Expecting value",
        )
        assert problem_of(parse_framework_bytes, b"oops", "f.csv")[3:] == (
            "Parent ID number",
            "missing column (tool_lpimportcsv header)",
        )

    def test_json_that_is_not_an_object(self) -> None:
        assert problem_of(parse_framework_bytes, b"[1, 2]", "f.json")[4] == (
            "Input should be a valid dictionary or instance of Framework"
        )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


CASE_PATHS = _paths(CASE_DATA)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)


def _parse_or_problem(data: bytes, hint: str) -> None:
    """Bad input must end in `InvalidInput` with at least one readable problem, never a crash."""
    try:
        result = parse_framework_bytes(data, hint)
    except InvalidInput as exc:
        assert all(str(p) for p in exc.problems)
    else:
        assert isinstance(result, Framework)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(st.sampled_from(CASE_PATHS), st.none() | JSON_VALUES, st.booleans()),
        min_size=1,
        max_size=3,
    )
)
def test_damaged_case_packages_give_problems_not_crashes(
    edits: list[tuple[tuple[Any, ...], Any, bool]],
) -> None:
    data = copy.deepcopy(CASE_DATA)
    for path, value, delete in edits:
        parent: Any = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            if delete and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed this path
    _parse_or_problem(json.dumps(data).encode(), "f.json")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, len(MOODLE_ROWS) - 1),
            st.integers(0, 14),
            st.sampled_from(["", "1", "0", "DS1", "DS1-E", "Emerging", "x,y", "7", "<p>a</p>"])
            | st.text(max_size=8),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_damaged_moodle_files_give_problems_not_crashes(
    edits: list[tuple[int, int, str]],
) -> None:
    rows = [list(row) for row in MOODLE_ROWS]
    for row, column, value in edits:
        if column < len(rows[row]):
            rows[row][column] = value
        else:
            rows[row].append(value)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    _parse_or_problem(out.getvalue().encode(), "f.csv")
