from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from recommender.case import import_case
from recommender.errors import InvalidInput
from recommender.moodle import FORMAT, header_key, import_moodle_csv, looks_like_moodle_csv

DATA = Path(__file__).parent / "data" / "interchange"
CSV = (DATA / "digital-safeguarding.moodle.csv").read_text("utf-8")
HEADER, FRAMEWORK_ROW, *_ = CSV.split("\n")


def where(text: str, **kwargs: object) -> list[tuple[int | None, int | None, str, str]]:
    """(line, column, column name, message) of every problem found in `text`."""
    with pytest.raises(InvalidInput) as exc:
        import_moodle_csv(text, source="f.csv", **kwargs)  # type: ignore[arg-type]
    assert {p.source for p in exc.value.problems} == {"f.csv"}
    return [(p.line, p.column, p.field, p.message) for p in exc.value.problems]


def rows(*lines: str) -> str:
    """The fixture's header and framework row followed by `lines`."""
    return "\n".join([HEADER, FRAMEWORK_ROW, *lines]) + "\n"


def competency(
    parent: str, idnumber: str, shortname: str, description: str = "", fmt: str = "1"
) -> str:
    return f'{parent},{idnumber},"{shortname}","{description}",{fmt},,,,0,null,,,,'


class TestImport:
    def test_fixture_maps_framework_strands_and_levels(self) -> None:
        f = import_moodle_csv(CSV)
        assert (f.id, f.title, f.subject) == (
            "dsg-2025",
            "Digital safeguarding for school staff",
            "practitioner",
        )
        assert [(lv.id, lv.label) for lv in f.levels] == [
            ("emerging", "Emerging"),
            ("developing", "Developing"),
            ("secure", "Secure"),
        ]
        assert [(s.id, s.title) for s in f.strands] == [
            ("DS1", "Recognising and reporting online risks"),
            ("DS2", "Protecting pupils' personal data"),
            ("DS3", "Promoting safe and respectful online behaviour"),
        ]
        assert f.model_extra == {"source": {"format": FORMAT, "idnumber": "DSG-2025"}}

    def test_statement_children_use_description_else_short_name(self) -> None:
        f = import_moodle_csv(CSV)
        # DS1-E1's HTML description wraps onto two lines; DS1-E2 has no description.
        assert f.statements("DS1", "emerging") == [
            "I know the main categories of online risk: content, contact, conduct and commerce.",
            "I know who the designated safeguarding lead is and how to report a concern.",
        ]

    def test_level_description_gives_statements_when_it_has_no_children(self) -> None:
        f = import_moodle_csv(CSV)
        assert f.statements("DS2", "developing") == [  # an HTML list
            "I share pupil information only through approved, secure systems.",
            "I check privacy settings before using a new app with pupils.",
        ]
        assert f.statements("DS2", "secure") == [  # Markdown, level named in lower case
            "I review how my team stores pupil data and act on weaknesses I find.",
            "I advise colleagues on data protection when they choose new tools.",
        ]

    def test_same_framework_as_the_case_fixture(self) -> None:
        case = import_case(json.loads((DATA / "digital-safeguarding.case.json").read_text("utf-8")))
        moodle = import_moodle_csv(CSV)
        assert [s.descriptors for s in moodle.strands] == [s.descriptors for s in case.strands]

    def test_older_header_spellings_and_semicolons(self) -> None:
        f = import_moodle_csv((DATA / "moodle-old-headers.csv").read_text("utf-8"))
        assert f.id == "ebs-1"
        assert f.level_ids == ("not-yet", "working-towards", "achieved")
        assert f.statements("EBS-PW", "achieved") == [
            "I use multi-factor authentication wherever it is offered."
        ]

    def test_rows_may_come_before_their_parents_and_a_bom_is_ignored(self) -> None:
        header, *records = list(csv.reader(io.StringIO(CSV)))
        out = io.StringIO()
        top = [r for r in records if not r[0]]  # framework and strands, moved to the end
        csv.writer(out).writerows([header, *(r for r in records if r[0]), *top])
        assert import_moodle_csv("\ufeff" + out.getvalue()) == import_moodle_csv(CSV)

    def test_framework_id_and_subject_can_be_given(self) -> None:
        f = import_moodle_csv(CSV, framework_id="nst-safeguarding", subject="organisation")
        assert (f.id, f.subject) == ("nst-safeguarding", "organisation")

    @pytest.mark.parametrize(
        ("description", "fmt", "expected"),
        [
            ("<p>Tom &amp; Jerry<br>share &lt;data&gt;</p>", "1", ["Tom & Jerry", "share <data>"]),
            ("<ol><li>One</li><li><b>Two</b> words</li></ol>", "1", ["One", "Two words"]),
            ("First line\nsecond line", "0", ["First line", "second line"]),
            ("First line\nsecond line", "2", ["First line", "second line"]),
            (
                "A wrapped\nparagraph\n\n1. item one\n2. item two",
                "4",
                ["A wrapped paragraph", "item one", "item two"],
            ),
        ],
    )
    def test_description_formats(self, description: str, fmt: str, expected: list[str]) -> None:
        text = rows(
            competency("", "S1", "Strand"),
            competency("S1", "S1-E", "Emerging", description, fmt),
        )
        assert import_moodle_csv(text).statements("S1", "emerging") == expected


class TestProblems:
    def test_many_problems_are_reported_at_once_with_line_and_column(self) -> None:
        text = (DATA / "moodle-many-problems.csv").read_text("utf-8")
        assert [w[:3] for w in where(text)] == [
            (5, 3, "Short name"),  # DS3 ends up with no statements ...
            (7, 1, "Parent ID number"),  # DS9 does not exist
            (8, 3, "Short name"),  # 'Expert' is not on the scale
            (9, 6, "Scale values"),  # a competency scale unlike the framework's
            (10, 5, "Description format"),  # ... because format 7 is unknown
        ]

    def test_missing_columns_are_named_on_the_header_line(self) -> None:
        text = (DATA / "not-a-moodle-framework.csv").read_text("utf-8")
        found = where(text)
        assert {(line, name) for line, _, name, _ in found} == {
            (1, "Short name"),
            (1, "Description"),
            (1, "Description format"),
            (1, "Scale values"),
            (1, "Is framework"),
        }

    def test_empty_file(self) -> None:
        assert where("") == [
            (None, None, "", "empty file: expected a Moodle competency framework CSV")
        ]

    def test_no_framework_row(self) -> None:
        text = "\n".join([HEADER, competency("", "S1", "Strand")])
        assert where(text) == [
            (None, 13, "Is framework", "no row has Is framework = 1 (the framework row)")
        ]

    def test_two_framework_rows(self) -> None:
        found = where(CSV + FRAMEWORK_ROW + "\n")
        assert found[-1][:3] == (CSV.count("\n") + 1, 13, "Is framework")
        assert "the first is on line 2" in found[-1][3]

    def test_bad_is_framework_value(self) -> None:
        text = rows(competency("", "S1", "Strand").replace(",,,,", ",,,maybe,"))
        assert (3, 13, "Is framework", "'maybe' is not 1 or empty") in where(text)

    def test_framework_without_scale(self) -> None:
        row = FRAMEWORK_ROW.replace('"Emerging,Developing,Secure"', "")
        text = "\n".join(
            [HEADER, row, competency("", "S1", "Strand"), competency("S1", "S1-E", "Emerging", "x")]
        )
        found = where(text)
        assert found[0][:3] == (2, 6, "Scale values")

    def test_identity_problems(self) -> None:
        text = rows(
            competency("", "S1", "Strand"),
            competency("S1", "S1-E", "Emerging", "a"),
            competency("S1", "S1-E", "Developing", "b"),
            competency("S1", "", "Secure", "c"),
            competency("S1", "S1-X", "", "d"),
        )
        assert [w[:3] for w in where(text)] == [
            (5, 2, "ID number"),
            (6, 2, "ID number"),
            (7, 3, "Short name"),
        ]

    def test_parent_loop(self) -> None:
        text = rows(
            competency("", "S1", "Strand"),
            competency("S1", "S1-E", "Emerging", "a"),
            competency("B", "A", "Emerging", "a"),
            competency("A", "B", "Emerging", "b"),
        )
        assert [w[:3] for w in where(text)] == [
            (5, 1, "Parent ID number"),
            (6, 1, "Parent ID number"),
        ]
        assert "loop" in where(text)[0][3]

    def test_competency_deeper_than_a_statement(self) -> None:
        text = rows(
            competency("", "S1", "Strand"),
            competency("S1", "S1-E", "Emerging"),
            competency("S1-E", "S1-E1", "Statement"),
            competency("S1-E1", "S1-E1a", "Too deep"),
        )
        assert where(text) == [
            (
                6,
                1,
                "Parent ID number",
                "competency is 4 levels below the framework; cpdrec reads framework → strand → "
                "level → statement",
            )
        ]

    def test_strand_without_levels_and_framework_without_strands(self) -> None:
        assert where(rows(competency("", "S1", "Strand")))[0][:3] == (3, 3, "Short name")
        assert where(rows())[0][:3] == (2, 1, "Parent ID number")

    def test_duplicate_strand_ids_and_bad_framework_id(self) -> None:
        text = rows(
            competency("", "S:1", "Same title"),
            competency("S:1", "S1-E", "Emerging", "a"),
            competency("", "same-title", "Other"),
            competency("same-title", "S2-E", "Emerging", "b"),
        )
        assert [w[:3] for w in where(text)] == [(5, 2, "ID number")]
        assert where(CSV, framework_id="Bad Id") == [
            (None, None, "framework_id", "'Bad Id' must be lowercase kebab-case")
        ]

    def test_row_longer_than_the_header(self) -> None:
        text = rows(
            competency("", "S1", "Strand") + ",extra", competency("S1", "S1-E", "Emerging", "a")
        )
        assert where(text) == [(3, 15, "", "row has 15 fields, the header 14")]

    def test_scale_values_that_share_an_id(self) -> None:
        row = FRAMEWORK_ROW.replace('"Emerging,Developing,Secure"', '"Good,good!"')
        text = "\n".join(
            [HEADER, row, competency("", "S1", "Strand"), competency("S1", "S1-E", "Good", "a")]
        )
        assert where(text)[0][:3] == (2, 6, "Scale values")

    def test_oversized_field_is_a_problem_not_a_crash(self) -> None:
        text = rows(competency("", "S1", "Strand", "x" * 200_000))
        [(line, _, field, message)] = where(text)
        assert field == "" and message.startswith("invalid CSV: field larger than field limit")
        assert line == 3


def test_header_keys_ignore_case_spacing_and_optional() -> None:
    assert header_key("Short name") == header_key("Shortname") == "shortname"
    assert header_key("Rule type (optional)") == "ruletype"
    assert header_key("\ufeffParent ID number") == "parentidnumber"


def test_looks_like_moodle_csv() -> None:
    assert looks_like_moodle_csv(CSV)
    assert looks_like_moodle_csv((DATA / "moodle-old-headers.csv").read_text("utf-8"))
    assert not looks_like_moodle_csv("id,title,description\n")
