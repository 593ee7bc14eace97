from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recommender.errors import InvalidInput
from recommender.frameworks import Framework, load_framework, load_frameworks, parse_framework


def minimal(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "tiny",
        "title": "Tiny",
        "subject": "practitioner",
        "levels": [{"id": "low", "label": "Low"}, {"id": "high", "label": "High"}],
        "strands": [{"id": "s1", "title": "One", "descriptors": {"low": ["a"], "high": ["b"]}}],
    }
    doc.update(overrides)
    return doc


def fields(exc: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [p.field for p in exc.value.problems]


class TestShippedFrameworks:
    def test_d2030_levels_and_strands(self, framework_map: dict[str, Framework]) -> None:
        f = framework_map["d2030-commitment"]
        assert f.subject == "practitioner"
        assert f.level_ids == ("exploring", "embedding", "transforming")
        assert [s.id for s in f.strands] == ["1.1", "1.2", "1.3", "1.4"]
        counts = {s.id: [len(s.descriptors[lv]) for lv in f.level_ids] for s in f.strands}
        assert counts == {"1.1": [2, 2, 3], "1.2": [2, 2, 2], "1.3": [1, 1, 1], "1.4": [2, 2, 1]}
        assert f.statements("1.3", "transforming") == [
            "I influence my organisation to continually improve its data collection and "
            "security where I can."
        ]

    def test_d2030_keeps_examples_and_related_objectives(
        self, framework_map: dict[str, Framework]
    ) -> None:
        extra = framework_map["d2030-commitment"].model_extra or {}
        assert len(extra["examples"]) == 7
        assert "Staff development" in extra["related_objectives"]

    def test_naace_scale_runs_4_lowest_to_1_highest(
        self, framework_map: dict[str, Framework]
    ) -> None:
        f = framework_map["naace-srf-5a"]
        assert f.subject == "organisation"
        assert f.level_ids == ("4", "3", "2", "1")
        assert f.rank("4") < f.rank("1")

    def test_naace_continuation_rows_are_joined_into_the_right_cells(
        self, framework_map: dict[str, Framework]
    ) -> None:
        f = framework_map["naace-srf-5a"]
        level3 = " ".join(f.statements("5a-2", "3"))
        assert "face-to-face and online learning communities both in and beyond school." in level3
        assert "Ad hoc mentoring or coaching takes place when required." in f.statements(
            "5a-2", "4"
        )
        assert "blended training and learning communities to develop staff capabilities" in (
            " ".join(f.statements("5a-2", "2"))
        )
        assert any("wider school community" in s for s in f.statements("5a-4", "1"))
        assert any(
            "Few staff are able to provide e-safeguarding" in s for s in f.statements("5a-4", "4")
        )

    def test_every_strand_has_statements_at_every_level(self, frameworks: list[Framework]) -> None:
        for f in frameworks:
            for strand in f.strands:
                for level_id in f.level_ids:
                    assert f.statements(strand.id, level_id), (f.id, strand.id, level_id)

    def test_document_round_trips(self, frameworks: list[Framework]) -> None:
        for f in frameworks:
            assert parse_framework(json.loads(json.dumps(f.to_document()))) == f


class TestValidation:
    def test_unknown_level_in_descriptors(self) -> None:
        doc = minimal(strands=[{"id": "s1", "title": "One", "descriptors": {"mid": ["x"]}}])
        with pytest.raises(InvalidInput, match="unknown level 'mid'"):
            parse_framework(doc)

    def test_duplicate_strand_ids(self) -> None:
        strand = {"id": "s1", "title": "One", "descriptors": {"low": ["a"]}}
        with pytest.raises(InvalidInput, match="duplicate strand id 's1'"):
            parse_framework(minimal(strands=[strand, strand]))

    def test_duplicate_level_ids(self) -> None:
        levels = [{"id": "low", "label": "A"}, {"id": "low", "label": "B"}]
        with pytest.raises(InvalidInput, match="duplicate level id 'low'"):
            parse_framework(minimal(levels=levels))

    def test_empty_levels(self) -> None:
        with pytest.raises(InvalidInput) as exc:
            parse_framework(minimal(levels=[]))
        assert "levels" in fields(exc)

    def test_empty_statement(self) -> None:
        doc = minimal(strands=[{"id": "s1", "title": "One", "descriptors": {"low": ["  "]}}])
        with pytest.raises(InvalidInput, match="empty statement"):
            parse_framework(doc)

    def test_strand_without_statements(self) -> None:
        doc = minimal(strands=[{"id": "s1", "title": "One", "descriptors": {}}])
        with pytest.raises(InvalidInput, match="has no statements"):
            parse_framework(doc)

    @pytest.mark.parametrize("bad_id", ["Digital", "has space", "under_score", ""])
    def test_framework_id_must_be_kebab_case(self, bad_id: str) -> None:
        with pytest.raises(InvalidInput) as exc:
            parse_framework(minimal(id=bad_id))
        assert fields(exc) == ["id"]

    def test_part_ids_may_not_contain_separators(self) -> None:
        doc = minimal(levels=[{"id": "a:b", "label": "A"}])
        with pytest.raises(InvalidInput, match="must not contain"):
            parse_framework(doc)

    def test_unknown_subject(self) -> None:
        with pytest.raises(InvalidInput) as exc:
            parse_framework(minimal(subject="team"))
        assert fields(exc) == ["subject"]

    def test_extra_keys_are_kept(self) -> None:
        f = parse_framework(minimal(source={"name": "x"}))
        assert f.to_document()["source"] == {"name": "x"}

    def test_invalid_json_names_line_and_column(self, tmp_path: Path) -> None:
        path = tmp_path / "f.json"
        path.write_text('{\n  "id": "x",\n  oops\n}')
        with pytest.raises(InvalidInput) as exc:
            load_framework(path)
        problem = exc.value.problems[0]
        assert (problem.source, problem.line, problem.column) == (str(path), 3, 3)

    def test_duplicate_framework_files(self, tmp_path: Path) -> None:
        path = tmp_path / "f.json"
        path.write_text(json.dumps(minimal()))
        with pytest.raises(InvalidInput, match="duplicate framework id 'tiny'"):
            load_frameworks([path, path])
