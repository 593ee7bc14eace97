"""1EdTech CASE 1.0 packages in and out: a CFPackage's rubrics hold a framework's level matrix.

CASE → native (`import_case`):

- The CFDocument is the framework: id from `framework_id` or a slug of its title, title as is,
  and ``"source": {"format": "case-1.0", "identifier", "uri"}`` so the origin is never lost.
- Each CFItem that `isChildOf` the CFDocument is a strand, in association `sequenceNumber` order.
  Strand id: its `humanCodingScheme` when that is a valid id, else a slug of its title; title:
  `fullStatement`, else `abbreviatedStatement`. Deeper items are not strands and are skipped.
- The CFRubricCriteria that point at a strand (`CFItemURI`) give its levels: a criterion level's
  `quality` is the level label and its `description` holds one statement per line. Levels run
  lowest first: by `score` ascending when every level has a distinct score (scores carry meaning,
  positions only display order), else by `position` ascending.
- One scale per framework, because gaps are compared by level position: every criterion must list
  the same labels in the same order (case and spacing aside). A criterion that differs, a strand
  no criterion points at (it would have no descriptors), and a criterion pointing at no strand
  are each reported as a `Problem` naming the JSON path; nothing is guessed or dropped silently.
  Several criteria on one strand are merged, their statements concatenated level by level.

Native → CASE (`export_case`): one CFItem and one `isChildOf` association per strand, and one
CFRubric with a criterion per strand whose levels run lowest first (`score` and `position` both
1, 2, …). Identifiers are uuid5 of the framework, strand and level ids, and lastChangeDateTime is
fixed unless given, so exporting twice gives identical packages. What CASE 1.0 cannot say (the
framework id, `subject`, level ids and extra keys) travels in an ``extensions.cpdrec`` object,
the extension point CASE 1.1 added; `import_case` reads it back, so a package cpdrec exported
imports to an equal framework. Pass ``extensions=False`` for strict CASE 1.0 consumers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import ValidationError

from recommender.case_export import export_case
from recommender.case_schema import (
    EXTENSION,
    FORMAT,
    CriterionIn,
    DocumentExt,
    ItemExt,
    ItemIn,
    LevelIn,
    LinkIn,
    PackageIn,
    Subject,
)
from recommender.errors import InvalidInput, Problem
from recommender.framework_text import (
    collapse_spaces,
    is_part_id,
    normalise_label,
    slugify,
    split_statements,
)
from recommender.frameworks import FRAMEWORK_ID, Framework, parse_framework
from recommender.validation import problems_from_pydantic

__all__ = ["EXTENSION", "FORMAT", "export_case", "import_case"]

NATIVE_FIELDS = frozenset(Framework.model_fields)

_Ext = TypeVar("_Ext", DocumentExt, ItemExt)


class _Problems:
    def __init__(self, source: str | None) -> None:
        self.source = source
        self.found: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.found.append(Problem(field, message, source=self.source))

    def extend(self, exc: ValidationError, prefix: str) -> None:
        self.found.extend(problems_from_pydantic(exc, source=self.source, prefix=prefix))


def _extension(value: Any, model: type[_Ext], path: str, problems: _Problems) -> _Ext | None:
    if not isinstance(value, dict) or EXTENSION not in value:
        return None
    try:
        return model.model_validate(value[EXTENSION])
    except ValidationError as exc:
        problems.extend(exc, f"{path}.extensions.{EXTENSION}")
        return None


def import_case(
    data: Any,
    *,
    framework_id: str | None = None,
    subject: Subject | None = None,
    source: str | None = None,
) -> Framework:
    """Map a decoded CASE 1.0 CFPackage to a native framework, or raise `InvalidInput`.

    `framework_id` and `subject` override what the package says (or implies: a slug of the
    title, and "practitioner"); `source` names the input in every `Problem`.
    """
    if not isinstance(data, dict) or "CFDocument" not in data:
        raise InvalidInput.single(
            "", "not a CASE package: expected a JSON object with a CFDocument", source=source
        )
    try:
        package = PackageIn.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(problems_from_pydantic(exc, source=source)) from None
    return _Importer(package, _Problems(source)).framework(framework_id, subject)


class _Importer:
    def __init__(self, package: PackageIn, problems: _Problems) -> None:
        self.package = package
        self.problems = problems
        self.doc = package.CFDocument
        self.doc_ext = _extension(self.doc.extensions, DocumentExt, "CFDocument", problems)

    def framework(self, framework_id: str | None, subject: Subject | None) -> Framework:
        strands = self._strand_items()
        if not strands:
            raise InvalidInput(self.problems.found)
        criteria = self._criteria_by_item(strands)
        labels, levels_by_criterion = self._scale(strands, criteria)
        level_ids = self._level_ids(labels)
        document = {
            "id": self._framework_id(framework_id),
            "title": self.doc.title,
            "subject": subject or (self.doc_ext and self.doc_ext.subject) or "practitioner",
            "levels": self._levels(labels, level_ids),
            "strands": self._strands(strands, criteria, levels_by_criterion, level_ids),
            **self._extras(),
        }
        if self.problems.found:
            raise InvalidInput(self.problems.found)
        return parse_framework(document, source=self.problems.source)

    def _strand_items(self) -> list[tuple[int, ItemIn]]:
        """Items that are children of the document, in sequenceNumber then listed order."""
        seen: dict[str, int] = {}
        for i, item in enumerate(self.package.CFItems):
            if item.identifier in seen:
                self.problems.add(
                    f"CFItems.{i}.identifier",
                    f"duplicate identifier {item.identifier!r} "
                    f"(also CFItems.{seen[item.identifier]})",
                )
            seen.setdefault(item.identifier, i)
        children: list[tuple[bool, int, int, int]] = []
        for a, assoc in enumerate(self.package.CFAssociations):
            if assoc.associationType != "isChildOf" or not assoc.destinationNodeURI.refers_to(
                self.doc.identifier, self.doc.uri
            ):
                continue
            index = self._find_item(assoc.originNodeURI)
            if index is None:
                self.problems.add(
                    f"CFAssociations.{a}.originNodeURI",
                    f"no CFItem has identifier {assoc.originNodeURI.identifier!r}",
                )
                continue
            seq = assoc.sequenceNumber
            children.append((seq is None, seq or 0, a, index))
        order: list[int] = []
        for *_, index in sorted(children):
            if index not in order:
                order.append(index)
        if not order:
            self.problems.add(
                "CFAssociations",
                "no CFItem is a child of the CFDocument (isChildOf); each such item is a strand",
            )
        return [(i, self.package.CFItems[i]) for i in order]

    def _find_item(self, link: LinkIn) -> int | None:
        for i, item in enumerate(self.package.CFItems):
            if link.refers_to(item.identifier, item.uri):
                return i
        return None

    def _criteria_by_item(
        self, strands: Sequence[tuple[int, ItemIn]]
    ) -> dict[int, list[tuple[str, CriterionIn]]]:
        strand_indexes = {i for i, _ in strands}
        found: dict[int, list[tuple[str, CriterionIn]]] = {i: [] for i in strand_indexes}
        for r, rubric in enumerate(self.package.CFRubrics):
            for c, criterion in enumerate(rubric.CFRubricCriteria):
                path = f"CFRubrics.{r}.CFRubricCriteria.{c}"
                if criterion.CFItemURI is None:
                    self.problems.add(
                        f"{path}.CFItemURI", "criterion is not linked to a CFItem (CFItemURI)"
                    )
                    continue
                index = self._find_item(criterion.CFItemURI)
                if index is None:
                    self.problems.add(
                        f"{path}.CFItemURI",
                        f"no CFItem has identifier {criterion.CFItemURI.identifier!r}",
                    )
                elif index not in strand_indexes:
                    self.problems.add(
                        f"{path}.CFItemURI",
                        f"points at CFItems.{index} ({_name(self.package.CFItems[index])}), which "
                        "is not a child of the CFDocument; only the document's children are "
                        "strands with levels",
                    )
                else:
                    found[index].append((path, criterion))
        for criteria in found.values():
            criteria.sort(key=lambda pc: (pc[1].position is None, pc[1].position or 0))
        return found

    def _scale(
        self,
        strands: Sequence[tuple[int, ItemIn]],
        criteria: dict[int, list[tuple[str, CriterionIn]]],
    ) -> tuple[list[str], dict[str, list[LevelIn]]]:
        """The framework's level labels, lowest first, and each criterion's ordered levels."""
        reference: tuple[list[str], str] | None = None
        ordered: dict[str, list[LevelIn]] = {}
        for index, item in strands:
            for path, criterion in criteria[index]:
                levels = self._ordered_levels(path, criterion)
                if levels is None:
                    continue
                ordered[path] = levels
                labels = [collapse_spaces(level.quality or "") for level in levels]
                if reference is None:
                    reference = (labels, f"strand {_name(item)} ({path})")
                elif [normalise_label(x) for x in labels] != [
                    normalise_label(x) for x in reference[0]
                ]:
                    self.problems.add(
                        f"{path}.CFRubricCriterionLevels",
                        f"levels {_quoted(labels)} differ from {_quoted(reference[0])} of "
                        f"{reference[1]}; a framework has one level scale for every strand",
                    )
        return (reference[0] if reference else []), ordered

    def _ordered_levels(self, path: str, criterion: CriterionIn) -> list[LevelIn] | None:
        levels = criterion.CFRubricCriterionLevels
        path = f"{path}.CFRubricCriterionLevels"
        if not levels:
            self.problems.add(path, "criterion has no levels")
            return None
        ok = True
        seen: set[str] = set()
        for k, level in enumerate(levels):
            label = normalise_label(level.quality or "")
            if not label:
                self.problems.add(f"{path}.{k}.quality", "level has no quality (its label)")
                ok = False
            elif label in seen:
                self.problems.add(f"{path}.{k}.quality", f"level {level.quality!r} repeats")
                ok = False
            seen.add(label)
        scores = [level.score for level in levels]
        positions = [level.position for level in levels]
        if None not in scores and len(set(scores)) == len(levels):
            return sorted(levels, key=lambda level: level.score or 0.0) if ok else None
        if None not in positions and len(set(positions)) == len(levels):
            return sorted(levels, key=lambda level: level.position or 0) if ok else None
        if len(levels) > 1:
            self.problems.add(
                path,
                "cannot order the levels: give every level a distinct score (or position), "
                "lowest level lowest",
            )
            return None
        return levels if ok else None

    def _level_ids(self, labels: Sequence[str]) -> list[str]:
        ext_levels = self.doc_ext.levels if self.doc_ext else []
        for k, level in enumerate(ext_levels):
            if not is_part_id(level.id):
                self.problems.add(
                    f"CFDocument.extensions.{EXTENSION}.levels.{k}.id",
                    f"{level.id!r} is not a level id (empty, padded, or has ':' or '|')",
                )
        known = {normalise_label(x.label): x.id for x in ext_levels}
        ids: list[str] = []
        for n, label in enumerate(labels, start=1):
            level_id = known.get(normalise_label(label)) or slugify(label) or f"level-{n}"
            if level_id in ids:
                self.problems.add(
                    "CFRubrics",
                    f"levels {label!r} and {labels[ids.index(level_id)]!r} both get the id "
                    f"{level_id!r}; rename one",
                )
            ids.append(level_id)
        return ids

    def _levels(self, labels: Sequence[str], level_ids: Sequence[str]) -> list[dict[str, Any]]:
        extras = {x.id: x.model_extra or {} for x in (self.doc_ext.levels if self.doc_ext else [])}
        return [
            {"id": level_id, "label": label, **extras.get(level_id, {})}
            for level_id, label in zip(level_ids, labels, strict=True)
        ]

    def _strands(
        self,
        strands: Sequence[tuple[int, ItemIn]],
        criteria: dict[int, list[tuple[str, CriterionIn]]],
        levels_by_criterion: dict[str, list[LevelIn]],
        level_ids: Sequence[str],
    ) -> list[dict[str, Any]]:
        documents: list[dict[str, Any]] = []
        ids: dict[str, int] = {}
        for n, (index, item) in enumerate(strands, start=1):
            path = f"CFItems.{index}"
            ext = _extension(item.extensions, ItemExt, path, self.problems)
            title = collapse_spaces(item.fullStatement or item.abbreviatedStatement or "")
            if not title:
                self.problems.add(
                    f"{path}.fullStatement",
                    "strand item has no fullStatement or abbreviatedStatement",
                )
            strand_id = self._strand_id(ext, item, title, n, path)
            if strand_id in ids:
                self.problems.add(
                    f"{path}.humanCodingScheme",
                    f"strand id {strand_id!r} is also the id of CFItems.{ids[strand_id]}",
                )
            ids.setdefault(strand_id, index)
            if not criteria[index]:
                self.problems.add(
                    path,
                    f"strand {_name(item)} has no rubric: no CFRubricCriterion points at it, so "
                    "it has no level descriptors",
                )
            descriptors: dict[str, list[str]] = {}
            for crit_path, _ in criteria[index]:
                for level_id, level in zip(
                    level_ids, levels_by_criterion.get(crit_path, []), strict=False
                ):
                    statements = split_statements(level.description)
                    if statements:
                        descriptors.setdefault(level_id, []).extend(statements)
            usable = any(p in levels_by_criterion for p, _ in criteria[index])
            if usable and not descriptors:
                self.problems.add(
                    path,
                    f"strand {_name(item)} has no statements: every level description is empty",
                )
            ext_path = f"{path}.extensions.{EXTENSION}"
            extra = self._checked_extra(ext.extra if ext else {}, ext_path)
            documents.append({"id": strand_id, "title": title, "descriptors": descriptors, **extra})
        return documents

    def _strand_id(self, ext: ItemExt | None, item: ItemIn, title: str, n: int, path: str) -> str:
        if ext and ext.strand is not None:
            if is_part_id(ext.strand):
                return ext.strand
            self.problems.add(
                f"{path}.extensions.{EXTENSION}.strand",
                f"{ext.strand!r} is not a strand id (empty, padded, or has ':' or '|')",
            )
        code = (item.humanCodingScheme or "").strip()
        if is_part_id(code):
            return code
        return slugify(title) or f"strand-{n}"

    def _framework_id(self, given: str | None) -> str:
        if given is not None:
            if not FRAMEWORK_ID.match(given):
                self.problems.add(
                    "framework_id", f"{given!r} must be lowercase kebab-case, e.g. 'digital-safety'"
                )
            return given
        if self.doc_ext and self.doc_ext.framework:
            if not FRAMEWORK_ID.match(self.doc_ext.framework):
                self.problems.add(
                    f"CFDocument.extensions.{EXTENSION}.framework",
                    f"{self.doc_ext.framework!r} must be lowercase kebab-case",
                )
            return self.doc_ext.framework
        slug = slugify(self.doc.title)
        if not slug:
            self.problems.add(
                "CFDocument.title", "cannot make a framework id from the title; give framework_id"
            )
        return slug

    def _extras(self) -> dict[str, Any]:
        if self.doc_ext is not None:
            return self._checked_extra(self.doc_ext.extra, f"CFDocument.extensions.{EXTENSION}")
        return {
            "source": {"format": FORMAT, "identifier": self.doc.identifier, "uri": self.doc.uri}
        }

    def _checked_extra(self, extra: dict[str, Any], path: str) -> dict[str, Any]:
        clashes = sorted(key for key in extra if key in NATIVE_FIELDS | {"descriptors"})
        if clashes:
            self.problems.add(f"{path}.extra", f"keys {clashes} would overwrite framework fields")
            return {k: v for k, v in extra.items() if k not in clashes}
        return extra


def _name(item: ItemIn) -> str:
    return repr(item.humanCodingScheme or item.abbreviatedStatement or item.identifier)


def _quoted(labels: Sequence[str]) -> str:
    return "[" + ", ".join(repr(x) for x in labels) + "]"
