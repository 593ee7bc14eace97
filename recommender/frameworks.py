"""Digital-capability frameworks: strands with ordered levels described by statements.

The native JSON format is CONTRACT §1. Levels are listed lowest first whatever their labels, so
every comparison in the core uses a level's *position* (`Framework.rank`), never its id or label.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from recommender.errors import InvalidInput, Problem
from recommender.validation import problems_from_pydantic, repeats

FRAMEWORK_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FORBIDDEN_ID_CHARS = (":", "|")


def _check_part_id(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if any(ch in value for ch in FORBIDDEN_ID_CHARS):
        raise ValueError("must not contain ':' or '|'")
    return value


class Level(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    id: str
    label: str

    _id = field_validator("id")(_check_part_id)


class Strand(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    id: str
    title: str = Field(min_length=1)
    descriptors: dict[str, list[str]]

    _id = field_validator("id")(_check_part_id)

    @field_validator("descriptors")
    @classmethod
    def _statements_not_blank(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for level_id, statements in value.items():
            if any(not s.strip() for s in statements):
                raise ValueError(f"level {level_id!r} has an empty statement")
        return value


class Framework(BaseModel):
    """A framework as in CONTRACT §1; unknown top-level keys are kept as metadata."""

    model_config = ConfigDict(frozen=True, extra="allow")

    id: str
    title: str = Field(min_length=1)
    subject: Literal["practitioner", "organisation"]
    levels: list[Level] = Field(min_length=1)
    strands: list[Strand] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _kebab_case(cls, value: str) -> str:
        if not FRAMEWORK_ID.match(value):
            raise ValueError("must be lowercase kebab-case, e.g. 'd2030-commitment'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Framework:
        problems = []
        level_ids = [level.id for level in self.levels]
        for i, _ in repeats(level_ids):
            problems.append(f"levels: duplicate level id {level_ids[i]!r}")
        strand_ids = [strand.id for strand in self.strands]
        for i, _ in repeats(strand_ids):
            problems.append(f"strands: duplicate strand id {strand_ids[i]!r}")
        known = set(level_ids)
        for i, strand in enumerate(self.strands):
            for level_id in strand.descriptors:
                if level_id not in known:
                    problems.append(
                        f"strands.{i}.descriptors: unknown level {level_id!r} "
                        f"(levels are {', '.join(level_ids)})"
                    )
            if not any(strand.descriptors.get(level_id) for level_id in level_ids):
                problems.append(f"strands.{i}.descriptors: strand {strand.id!r} has no statements")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @cached_property
    def level_ids(self) -> tuple[str, ...]:
        return tuple(level.id for level in self.levels)

    @cached_property
    def _rank(self) -> dict[str, int]:
        return {level_id: i for i, level_id in enumerate(self.level_ids)}

    @cached_property
    def _strands(self) -> dict[str, Strand]:
        return {strand.id: strand for strand in self.strands}

    def rank(self, level_id: str | None) -> int:
        """Position of a level, lowest = 0; ``None`` (below the lowest level) is -1."""
        return -1 if level_id is None else self._rank[level_id]

    def has_level(self, level_id: str) -> bool:
        return level_id in self._rank

    def strand(self, strand_id: str) -> Strand:
        return self._strands[strand_id]

    def has_strand(self, strand_id: str) -> bool:
        return strand_id in self._strands

    def level_label(self, level_id: str | None) -> str:
        if level_id is None:
            return "not yet started"
        return self.levels[self._rank[level_id]].label

    def statements(self, strand_id: str, level_id: str) -> list[str]:
        return self.strand(strand_id).descriptors.get(level_id, [])

    def to_document(self) -> dict[str, Any]:
        """The native JSON document, extras included, ready to write back to disk."""
        return self.model_dump(mode="json")


def parse_framework(data: Any, source: str | None = None) -> Framework:
    """Validate a decoded framework document; raise `InvalidInput` naming each bad field."""
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(problems_from_pydantic(exc, source=source)) from None


def load_framework(path: str | Path) -> Framework:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.single("", f"cannot read file: {exc}", source=str(path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput.single(
            "", f"invalid JSON: {exc.msg}", source=str(path), line=exc.lineno, column=exc.colno
        ) from None
    return parse_framework(data, source=str(path))


def load_frameworks(paths: Iterable[str | Path]) -> list[Framework]:
    """Load several framework files, rejecting two that share an id."""
    frameworks: list[Framework] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            framework = load_framework(path)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        if any(f.id == framework.id for f in frameworks):
            problems.append(Problem("id", f"duplicate framework id {framework.id!r}", str(path)))
        frameworks.append(framework)
    if problems:
        raise InvalidInput(problems)
    return frameworks


def by_id(frameworks: Iterable[Framework]) -> Mapping[str, Framework]:
    return {framework.id: framework for framework in frameworks}
