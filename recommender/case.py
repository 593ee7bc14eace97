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

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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

FORMAT = "case-1.0"
EXTENSION = "cpdrec"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:cpdrec:case")
UNKNOWN_CHANGE = datetime(1970, 1, 1, tzinfo=UTC)
"""lastChangeDateTime when the caller gives none: a framework file carries no timestamp."""
NATIVE_FIELDS = frozenset(Framework.model_fields)

Subject = Literal["practitioner", "organisation"]


class _In(BaseModel):
    """Only the CASE fields the mapping reads; everything else is allowed and ignored."""

    model_config = ConfigDict(extra="allow", frozen=True)


class LinkIn(_In):
    identifier: str = ""
    uri: str = ""

    def refers_to(self, identifier: str, uri: str) -> bool:
        same_id = bool(self.identifier) and self.identifier == identifier
        return same_id or (bool(self.uri) and self.uri == uri)


class DocumentIn(_In):
    identifier: str = Field(min_length=1)
    uri: str = ""
    title: str = Field(min_length=1)
    extensions: Any = None


class ItemIn(_In):
    identifier: str = Field(min_length=1)
    uri: str = ""
    fullStatement: str | None = None
    abbreviatedStatement: str | None = None
    humanCodingScheme: str | None = None
    extensions: Any = None


class AssociationIn(_In):
    associationType: str
    originNodeURI: LinkIn
    destinationNodeURI: LinkIn
    sequenceNumber: int | None = None


class LevelIn(_In):
    quality: str | None = None
    description: str | None = None
    score: float | None = None
    position: int | None = None


class CriterionIn(_In):
    CFItemURI: LinkIn | None = None
    position: int | None = None
    CFRubricCriterionLevels: list[LevelIn] = Field(default_factory=list)


class RubricIn(_In):
    CFRubricCriteria: list[CriterionIn] = Field(default_factory=list)


class PackageIn(_In):
    CFDocument: DocumentIn
    CFItems: list[ItemIn] = Field(default_factory=list)
    CFAssociations: list[AssociationIn] = Field(default_factory=list)
    CFRubrics: list[RubricIn] = Field(default_factory=list)


class LevelExt(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    label: str


class DocumentExt(BaseModel):
    """``CFDocument.extensions.cpdrec``: the framework facts CASE 1.0 has no field for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    framework: str | None = None
    subject: Subject | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    levels: list[LevelExt] = Field(default_factory=list)


class ItemExt(BaseModel):
    """``CFItem.extensions.cpdrec``: a strand's id and extra keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strand: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


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


def export_case(
    framework: Framework,
    *,
    creator: str = "cpdrec",
    last_change: datetime | None = None,
    base_uri: str | None = None,
    extensions: bool = True,
) -> dict[str, Any]:
    """The framework as a CASE 1.0 CFPackage; identical output for identical arguments.

    URIs are ``urn:uuid:<identifier>`` unless `base_uri` is given (then ``<base_uri>/<id>``).
    """
    stamp = (last_change or UNKNOWN_CHANGE).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def node(*parts: str) -> dict[str, str]:
        identifier = str(uuid.uuid5(NAMESPACE, "|".join((framework.id, *parts))))
        uri = f"{base_uri.rstrip('/')}/{identifier}" if base_uri else f"urn:uuid:{identifier}"
        return {"identifier": identifier, "uri": uri}

    doc = node("document")
    doc_link = {"title": framework.title, **doc}
    document: dict[str, Any] = {
        **doc,
        "creator": creator,
        "title": framework.title,
        "lastChangeDateTime": stamp,
        "CFPackageURI": doc_link,
    }
    if extensions:
        document["extensions"] = {
            EXTENSION: {
                "framework": framework.id,
                "subject": framework.subject,
                "extra": framework.model_extra or {},
                "levels": [level.model_dump(mode="json") for level in framework.levels],
            }
        }
    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []
    criteria: list[dict[str, Any]] = []
    rubric = node("rubric")
    for n, strand in enumerate(framework.strands, start=1):
        item = node("strand", strand.id)
        item_link = {"title": strand.title, **item}
        cf_item: dict[str, Any] = {
            **item,
            "fullStatement": strand.title,
            "humanCodingScheme": strand.id,
            "listEnumeration": str(n),
            "CFDocumentURI": doc_link,
            "lastChangeDateTime": stamp,
        }
        if extensions and strand.model_extra:
            cf_item["extensions"] = {EXTENSION: {"strand": strand.id, "extra": strand.model_extra}}
        items.append(cf_item)
        associations.append(
            {
                **node("strand", strand.id, "isChildOf"),
                "associationType": "isChildOf",
                "sequenceNumber": n,
                "originNodeURI": item_link,
                "destinationNodeURI": doc_link,
                "CFDocumentURI": doc_link,
                "lastChangeDateTime": stamp,
            }
        )
        criterion = node("strand", strand.id, "criterion")
        levels = []
        for rank, level in enumerate(framework.levels, start=1):
            cf_level: dict[str, Any] = {
                **node("strand", strand.id, "level", level.id),
                "quality": level.label,
                "score": rank,
                "position": rank,
                "rubricCriterionId": criterion["identifier"],
                "lastChangeDateTime": stamp,
            }
            statements = [collapse_spaces(s) for s in framework.statements(strand.id, level.id)]
            if statements:
                cf_level["description"] = "\n".join(statements)
            levels.append(cf_level)
        criteria.append(
            {
                **criterion,
                "category": strand.title,
                "CFItemURI": item_link,
                "position": n,
                "rubricId": rubric["identifier"],
                "lastChangeDateTime": stamp,
                "CFRubricCriterionLevels": levels,
            }
        )
    return {
        "CFDocument": document,
        "CFItems": items,
        "CFAssociations": associations,
        "CFDefinitions": {
            "CFConcepts": [],
            "CFSubjects": [],
            "CFLicenses": [],
            "CFItemTypes": [],
            "CFAssociationGroupings": [],
        },
        "CFRubrics": [
            {
                **rubric,
                "title": f"{framework.title}: level descriptors",
                "description": "One criterion per strand; levels run lowest first (score 1).",
                "lastChangeDateTime": stamp,
                "CFRubricCriteria": criteria,
            }
        ],
    }
