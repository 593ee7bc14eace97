from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from recommender.case import EXTENSION, FORMAT, export_case, import_case
from recommender.errors import InvalidInput
from recommender.frameworks import Framework, parse_framework

DATA = Path(__file__).parent / "data" / "interchange"
PACKAGE = json.loads((DATA / "digital-safeguarding.case.json").read_text("utf-8"))


def package() -> dict[str, Any]:
    return copy.deepcopy(PACKAGE)


def problems(data: Any, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as exc:
        import_case(data, **kwargs)
    return [(p.field, p.message) for p in exc.value.problems]


def criterion(data: dict[str, Any], n: int) -> dict[str, Any]:
    found: dict[str, Any] = data["CFRubrics"][0]["CFRubricCriteria"][n]
    return found


def item(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for i in data["CFItems"] if i.get("humanCodingScheme") == code)


def identifiers(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "identifier" in value and "lastChangeDateTime" in value:
            yield value["identifier"]
        for child in value.values():
            yield from identifiers(child)
    elif isinstance(value, list):
        for child in value:
            yield from identifiers(child)


class TestImport:
    def test_fixture_maps_document_items_and_rubric(self) -> None:
        f = import_case(package())
        assert f.id == "digital-safeguarding-for-school-staff"
        assert f.title == "Digital Safeguarding for School Staff"
        assert f.subject == "practitioner"
        assert [(lv.id, lv.label) for lv in f.levels] == [
            ("emerging", "Emerging"),
            ("developing", "Developing"),
            ("secure", "Secure"),
        ]
        assert [s.id for s in f.strands] == ["DS.1", "DS.2", "DS.3"]
        assert f.strand("DS.2").title == "Protecting pupils' personal data"
        assert f.statements("DS.2", "developing") == [
            "I share pupil information only through approved, secure systems.",
            "I check privacy settings before using a new app with pupils.",
        ]

    def test_levels_follow_score_even_when_listed_top_first(self) -> None:
        listed = [lv["quality"] for lv in criterion(PACKAGE, 0)["CFRubricCriterionLevels"]]
        assert listed == ["Secure", "Developing", "Emerging"]
        assert import_case(package()).level_ids == ("emerging", "developing", "secure")

    def test_strands_follow_sequence_number_not_item_order(self) -> None:
        listed = [i.get("humanCodingScheme") for i in PACKAGE["CFItems"]]
        assert listed[:3] == ["DS.3", "DS.1", "DS.2"]
        assert [s.id for s in import_case(package()).strands] == ["DS.1", "DS.2", "DS.3"]

    def test_grandchild_items_are_not_strands(self) -> None:
        assert any(i.get("humanCodingScheme") == "DS.1.a" for i in PACKAGE["CFItems"])
        assert not import_case(package()).has_strand("DS.1.a")

    def test_source_keeps_the_document_identifier_and_uri(self) -> None:
        doc = PACKAGE["CFDocument"]
        assert import_case(package()).model_extra == {
            "source": {"format": FORMAT, "identifier": doc["identifier"], "uri": doc["uri"]}
        }

    def test_framework_id_and_subject_can_be_given(self) -> None:
        f = import_case(package(), framework_id="nst-safeguarding", subject="organisation")
        assert (f.id, f.subject) == ("nst-safeguarding", "organisation")

    def test_levels_follow_position_when_scores_are_missing(self) -> None:
        data = package()
        for n in range(3):
            for level in criterion(data, n)["CFRubricCriterionLevels"]:
                level["position"] = level.pop("score")
        assert import_case(data).level_ids == ("emerging", "developing", "secure")

    def test_invalid_coding_scheme_falls_back_to_a_slug_of_the_title(self) -> None:
        data = package()
        item(data, "DS.2")["humanCodingScheme"] = "DS:2"
        assert import_case(data).strands[1].id == "protecting-pupils-personal-data"

    def test_abbreviated_statement_titles_an_item_without_full_statement(self) -> None:
        data = package()
        del item(data, "DS.3")["fullStatement"]
        assert import_case(data).strand("DS.3").title == "Online behaviour"

    def test_two_criteria_on_one_strand_are_merged_level_by_level(self) -> None:
        data = package()
        extra = copy.deepcopy(criterion(data, 0))
        extra["position"] = 9
        for level in extra["CFRubricCriterionLevels"]:
            level["description"] = f"Also at {level['quality']}."
        data["CFRubrics"][0]["CFRubricCriteria"].append(extra)
        f = import_case(data)
        assert f.statements("DS.1", "secure") == [
            "I help colleagues recognise emerging online risks and update our reporting guidance.",
            "Also at Secure.",
        ]

    def test_bullets_and_blank_lines_in_descriptions_are_dropped(self) -> None:
        data = package()
        level = criterion(data, 2)["CFRubricCriterionLevels"][0]
        level["description"] = "• Leads the work.\n\n  - Evaluates it.  \n"
        assert import_case(data).statements("DS.3", "secure") == [
            "Leads the work.",
            "Evaluates it.",
        ]


class TestExport:
    @pytest.mark.parametrize("framework_id", ["d2030-commitment", "naace-srf-5a"])
    def test_shipped_frameworks_round_trip_exactly(
        self, framework_map: dict[str, Framework], framework_id: str
    ) -> None:
        original = framework_map[framework_id]
        exported = json.loads(json.dumps(export_case(original)))
        assert import_case(exported) == original
        assert import_case(exported).to_document() == original.to_document()

    def test_fixture_round_trips_through_export(self) -> None:
        f = import_case(package())
        assert import_case(export_case(f)) == f

    def test_repeated_exports_are_identical(self, framework_map: dict[str, Framework]) -> None:
        f = framework_map["naace-srf-5a"]
        assert json.dumps(export_case(f)) == json.dumps(export_case(f))

    def test_identifiers_are_unique_uuids_and_differ_between_frameworks(
        self, framework_map: dict[str, Framework]
    ) -> None:
        d2030 = list(identifiers(export_case(framework_map["d2030-commitment"])))
        naace = list(identifiers(export_case(framework_map["naace-srf-5a"])))
        assert len(set(d2030)) == len(d2030) > 20
        assert not set(d2030) & set(naace)
        assert all(str(uuid.UUID(i)) == i for i in d2030 + naace)

    def test_package_shape(self, framework_map: dict[str, Framework]) -> None:
        f = framework_map["naace-srf-5a"]
        pkg = export_case(f)
        doc = pkg["CFDocument"]
        assert doc["title"] == f.title and doc["uri"] == f"urn:uuid:{doc['identifier']}"
        assert [i["humanCodingScheme"] for i in pkg["CFItems"]] == [s.id for s in f.strands]
        children = [a for a in pkg["CFAssociations"] if a["associationType"] == "isChildOf"]
        assert {a["destinationNodeURI"]["identifier"] for a in children} == {doc["identifier"]}
        first = pkg["CFRubrics"][0]["CFRubricCriteria"][0]["CFRubricCriterionLevels"]
        assert [(lv["quality"], lv["score"]) for lv in first] == [
            ("Level 4", 1),
            ("Level 3", 2),
            ("Level 2", 3),
            ("Level 1", 4),
        ]
        assert first[0]["description"].split("\n") == f.statements("5a-1", "4")

    def test_timestamp_and_base_uri_can_be_given(self, framework_map: dict[str, Framework]) -> None:
        when = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
        pkg = export_case(
            framework_map["d2030-commitment"], last_change=when, base_uri="https://x.org/uri/"
        )
        doc = pkg["CFDocument"]
        assert doc["lastChangeDateTime"] == "2025-03-01T09:30:00Z"
        assert doc["uri"] == f"https://x.org/uri/{doc['identifier']}"

    def test_strict_export_has_no_extensions_and_still_imports(
        self, framework_map: dict[str, Framework]
    ) -> None:
        original = framework_map["naace-srf-5a"]
        pkg = export_case(original, extensions=False)
        assert "extensions" not in json.dumps(pkg)
        back = import_case(pkg)
        assert back.level_ids == ("level-4", "level-3", "level-2", "level-1")
        assert [s.id for s in back.strands] == [s.id for s in original.strands]
        assert back.statements("5a-3", "level-1") == original.statements("5a-3", "1")

    def test_edits_made_in_a_case_editor_win_over_the_extension(
        self, framework_map: dict[str, Framework]
    ) -> None:
        pkg = export_case(framework_map["d2030-commitment"])
        pkg["CFItems"][0]["fullStatement"] = "Helping learners learn"
        pkg["CFRubrics"][0]["CFRubricCriteria"][0]["CFRubricCriterionLevels"][0]["description"] = (
            "One new statement."
        )
        back = import_case(pkg)
        assert back.strand("1.1").title == "Helping learners learn"
        assert back.statements("1.1", "exploring") == ["One new statement."]

    def test_strand_extras_travel_in_the_item_extension(self) -> None:
        f = parse_framework(
            {
                "id": "tiny",
                "title": "Tiny",
                "subject": "organisation",
                "levels": [
                    {"id": "lo", "label": "Low", "colour": "red"},
                    {"id": "hi", "label": "High"},
                ],
                "strands": [
                    {"id": "s1", "title": "One", "descriptors": {"lo": ["a"]}, "notes": ["n"]}
                ],
            }
        )
        pkg = export_case(f)
        assert pkg["CFItems"][0]["extensions"][EXTENSION] == {
            "strand": "s1",
            "extra": {"notes": ["n"]},
        }
        assert import_case(pkg) == f


def mutate(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    data = package()
    change(data)
    return data


class TestProblems:
    def test_not_a_package(self) -> None:
        assert problems([1, 2]) == [
            ("", "not a CASE package: expected a JSON object with a CFDocument")
        ]

    def test_missing_required_fields_are_named_by_path(self) -> None:
        data = mutate(lambda d: d["CFDocument"].pop("title"))
        data["CFItems"][1].pop("identifier")
        found = dict(problems(data))
        assert found.keys() == {"CFDocument.title", "CFItems.1.identifier"}
        assert found["CFDocument.title"] == "Field required"

    def test_wrong_types_are_named_by_path(self) -> None:
        data = mutate(lambda d: criterion(d, 1)["CFRubricCriterionLevels"][0].update(score="high"))
        fields = [f for f, _ in problems(data)]
        assert fields == ["CFRubrics.0.CFRubricCriteria.1.CFRubricCriterionLevels.0.score"]

    def test_document_without_children(self) -> None:
        data = mutate(lambda d: d.update(CFAssociations=[]))
        assert problems(data) == [
            (
                "CFAssociations",
                "no CFItem is a child of the CFDocument (isChildOf); each such item is a strand",
            )
        ]

    def test_association_to_an_unknown_item(self) -> None:
        data = mutate(
            lambda d: d["CFAssociations"][0]["originNodeURI"].update(identifier="x", uri="y")
        )
        assert problems(data)[0] == (
            "CFAssociations.0.originNodeURI",
            "no CFItem has identifier 'x'",
        )

    def test_duplicate_item_identifiers(self) -> None:
        data = mutate(lambda d: d["CFItems"].append(copy.deepcopy(d["CFItems"][0])))
        field, message = problems(data)[0]
        assert field == "CFItems.4.identifier" and "also CFItems.0" in message

    def test_strand_without_rubric(self) -> None:
        assert problems(json.loads((DATA / "case-no-rubric.json").read_text("utf-8"))) == [
            (
                "CFItems.1",
                "strand 'OSL.2' has no rubric: no CFRubricCriterion points at it, so it has no "
                "level descriptors",
            )
        ]

    def test_strands_with_different_level_sets(self) -> None:
        found = problems(json.loads((DATA / "case-mismatched-levels.json").read_text("utf-8")))
        assert found == [
            (
                "CFRubrics.0.CFRubricCriteria.1.CFRubricCriterionLevels",
                "levels ['Emerging', 'Developing', 'Secure'] differ from ['Emerging', 'Secure'] "
                "of strand 'OSL.1' (CFRubrics.0.CFRubricCriteria.0); a framework has one level "
                "scale for every strand",
            )
        ]

    def test_labels_differing_only_in_case_and_spacing_are_the_same_level(self) -> None:
        data = package()
        criterion(data, 1)["CFRubricCriterionLevels"][0]["quality"] = "  SECURE "
        assert import_case(data).levels[2].label == "Secure"

    def test_criterion_links(self) -> None:
        data = package()
        criterion(data, 0).pop("CFItemURI")
        criterion(data, 1)["CFItemURI"].update(identifier="nowhere", uri="urn:x")
        sub = item(data, "DS.1.a")
        criterion(data, 2)["CFItemURI"].update(identifier=sub["identifier"], uri=sub["uri"])
        found = problems(data)
        assert found[:3] == [
            (
                "CFRubrics.0.CFRubricCriteria.0.CFItemURI",
                "criterion is not linked to a CFItem (CFItemURI)",
            ),
            ("CFRubrics.0.CFRubricCriteria.1.CFItemURI", "no CFItem has identifier 'nowhere'"),
            (
                "CFRubrics.0.CFRubricCriteria.2.CFItemURI",
                "points at CFItems.3 ('DS.1.a'), which is not a child of the CFDocument; only "
                "the document's children are strands with levels",
            ),
        ]

    def test_level_labels_must_exist_and_not_repeat(self) -> None:
        data = package()
        levels = criterion(data, 0)["CFRubricCriterionLevels"]
        levels[0].pop("quality")
        levels[2]["quality"] = "developing"
        prefix = "CFRubrics.0.CFRubricCriteria.0.CFRubricCriterionLevels"
        assert problems(data) == [
            (f"{prefix}.0.quality", "level has no quality (its label)"),
            (f"{prefix}.2.quality", "level 'developing' repeats"),
        ]

    def test_levels_that_cannot_be_ordered(self) -> None:
        data = package()
        for level in criterion(data, 0)["CFRubricCriterionLevels"]:
            level.pop("position")
            level["score"] = 1
        assert problems(data) == [
            (
                "CFRubrics.0.CFRubricCriteria.0.CFRubricCriterionLevels",
                "cannot order the levels: give every level a distinct score (or position), "
                "lowest level lowest",
            )
        ]

    def test_criterion_without_levels(self) -> None:
        data = mutate(lambda d: criterion(d, 1).update(CFRubricCriterionLevels=[]))
        assert (
            "CFRubrics.0.CFRubricCriteria.1.CFRubricCriterionLevels",
            "criterion has no levels",
        ) in problems(data)

    def test_strand_whose_descriptions_are_all_empty(self) -> None:
        data = package()
        for level in criterion(data, 2)["CFRubricCriterionLevels"]:
            level["description"] = " \n "
        assert problems(data) == [
            ("CFItems.0", "strand 'DS.3' has no statements: every level description is empty")
        ]

    def test_duplicate_strand_ids(self) -> None:
        data = mutate(lambda d: item(d, "DS.3").update(humanCodingScheme="DS.1"))
        assert problems(data) == [
            ("CFItems.0.humanCodingScheme", "strand id 'DS.1' is also the id of CFItems.1")
        ]

    def test_bad_framework_ids(self) -> None:
        assert problems(package(), framework_id="Not Kebab") == [
            ("framework_id", "'Not Kebab' must be lowercase kebab-case, e.g. 'digital-safety'")
        ]
        data = mutate(lambda d: d["CFDocument"].update(title="???"))
        assert problems(data) == [
            ("CFDocument.title", "cannot make a framework id from the title; give framework_id")
        ]

    def test_broken_cpdrec_extension(self) -> None:
        data = mutate(
            lambda d: d["CFDocument"].update(
                extensions={EXTENSION: {"subject": "robots", "extra": {"id": "x"}}}
            )
        )
        found = problems(data)
        assert found[0][0] == "CFDocument.extensions.cpdrec.subject"
        assert "'practitioner' or 'organisation'" in found[0][1]

    def test_ids_carried_in_the_extension_are_checked(self) -> None:
        data = package()
        data["CFDocument"]["extensions"] = {
            EXTENSION: {"framework": "Bad Id", "levels": [{"id": "a|b", "label": "Secure"}]}
        }
        item(data, "DS.2")["extensions"] = {EXTENSION: {"strand": "DS:2"}}
        assert {f for f, _ in problems(data)} == {
            "CFDocument.extensions.cpdrec.levels.0.id",
            "CFDocument.extensions.cpdrec.framework",
            "CFItems.2.extensions.cpdrec.strand",
        }

    def test_extension_extras_may_not_overwrite_framework_fields(self) -> None:
        data = mutate(
            lambda d: d["CFDocument"].update(extensions={EXTENSION: {"extra": {"title": "x"}}})
        )
        assert problems(data) == [
            (
                "CFDocument.extensions.cpdrec.extra",
                "keys ['title'] would overwrite framework fields",
            )
        ]

    def test_problems_carry_the_source(self) -> None:
        with pytest.raises(InvalidInput) as exc:
            import_case({"CFDocument": {}}, source="upload.json")
        assert {p.source for p in exc.value.problems} == {"upload.json"}
        assert str(exc.value).startswith("upload.json: CFDocument.")
