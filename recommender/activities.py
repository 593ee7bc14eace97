"""CPD activities and catalogue files (CONTRACT §2): CSV or JSON, validated row by row.

An invalid file yields every problem found, each with its line and column, and no activities:
callers never see half a catalogue.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from recommender.errors import InvalidInput, Problem
from recommender.frameworks import Framework
from recommender.validation import problems_from_pydantic, repeats

Format = Literal["online", "face-to-face", "blended", "self-paced", "mentoring", "community"]
FORMATS: tuple[str, ...] = typing.get_args(Format)
CSV_COLUMNS = (
    "id",
    "title",
    "description",
    "format",
    "duration_hours",
    "cost",
    "provider",
    "url",
    "tags",
)
REQUIRED_COLUMNS = ("id", "title", "description", "format")
FORMULA_PREFIX = re.compile(r"^'*[=+\-@\t\r]")
"""Cells a spreadsheet would run as a formula (OWASP CSV injection), after any quotes we added."""


class Tag(BaseModel):
    """A (framework, strand, level) cell an activity helps someone reach."""

    model_config = ConfigDict(frozen=True)

    framework: str = Field(min_length=1)
    strand: str = Field(min_length=1)
    level: str = Field(min_length=1)

    def __str__(self) -> str:
        return f"{self.framework}:{self.strand}:{self.level}"

    @classmethod
    def parse(cls, text: str) -> Tag:
        parts = text.strip().split(":")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise ValueError(f"tag {text.strip()!r} is not framework:strand:level")
        framework, strand, level = (p.strip() for p in parts)
        return cls(framework=framework, strand=strand, level=level)


class Activity(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=10_000)
    format: Format
    duration_hours: float | None = Field(default=None, ge=0)
    cost: float | None = Field(default=None, ge=0)
    provider: str = ""
    url: str = ""
    tags: tuple[Tag, ...] = ()

    @field_validator("id", "title", "description")
    @classmethod
    def _stripped(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("duration_hours", "cost")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @property
    def text(self) -> str:
        return f"{self.title}. {self.description}"

    def to_csv_row(self) -> dict[str, str]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "format": self.format,
            "duration_hours": _number_cell(self.duration_hours),
            "cost": _number_cell(self.cost),
            "provider": self.provider,
            "url": self.url,
            "tags": "|".join(str(tag) for tag in self.tags),
        }


def neutralise(cell: str) -> str:
    """Prefix a quote so spreadsheets show a formula-like cell as text; `restore` undoes it."""
    return "'" + cell if FORMULA_PREFIX.match(cell) else cell


def restore(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and FORMULA_PREFIX.match(cell) else cell


def _number_cell(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else str(value)


def check_tags(
    activity_tags: Iterable[Tag],
    frameworks: Mapping[str, Framework],
) -> list[str]:
    """Messages for tags that name a strand or level their (loaded) framework lacks.

    Tags of frameworks that are not loaded are kept but ignored: an organisation may use only
    one of the frameworks a shared catalogue is tagged against.
    """
    messages = []
    for tag in activity_tags:
        framework = frameworks.get(tag.framework)
        if framework is None:
            continue
        if not framework.has_strand(tag.strand):
            messages.append(f"unknown strand {tag.strand!r} in framework {tag.framework!r}")
        elif not framework.has_level(tag.level):
            messages.append(
                f"unknown level {tag.level!r} in framework {tag.framework!r} "
                f"(levels are {', '.join(framework.level_ids)})"
            )
    return messages


def _parse_number(raw: str) -> float | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a number") from None


def read_csv(
    text: str, frameworks: Mapping[str, Framework], source: str = "<csv>"
) -> list[Activity]:
    """Parse a CSV catalogue. Line numbers count the header as line 1; columns are 1-based."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise InvalidInput.single(
            "", "the file is empty; expected a header row", source=source, line=1
        ) from None
    except csv.Error as exc:
        raise InvalidInput.single("", f"malformed CSV: {exc}", source=source, line=1) from None
    problems: list[Problem] = []
    for name in REQUIRED_COLUMNS:
        if name not in header:
            problems.append(Problem(name, "required column is missing", source, line=1))
    for i, name in enumerate(header, start=1):
        if name not in CSV_COLUMNS:
            problems.append(
                Problem(
                    name,
                    f"unknown column (expected {', '.join(CSV_COLUMNS)})",
                    source,
                    line=1,
                    column=i,
                )
            )
        elif header.index(name) != i - 1:
            problems.append(Problem(name, "duplicate column", source, line=1, column=i))
    if problems:
        raise InvalidInput(problems)
    column_of = {name: header.index(name) + 1 for name in header}

    activities: list[Activity] = []
    lines: list[int] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                problems.append(
                    Problem(
                        "", f"expected {len(header)} cells, found {len(cells)}", source, line=line
                    )
                )
                continue
            row = dict(zip(header, map(restore, cells), strict=True))
            activity = _csv_row(row, line, column_of, frameworks, source, problems)
            if activity is not None:
                activities.append(activity)
                lines.append(line)
    except csv.Error as exc:
        problems.append(Problem("", f"malformed CSV: {exc}", source, line=reader.line_num))
    ids = [a.id for a in activities]
    for i, first in repeats(ids):
        message = f"duplicate id {ids[i]!r} (first on line {lines[first]})"
        problems.append(Problem("id", message, source, lines[i], column_of.get("id")))
    if problems:
        raise InvalidInput(sorted(problems, key=lambda p: p.line or 0))
    return activities


def _csv_row(
    row: dict[str, str],
    line: int,
    column_of: Mapping[str, int],
    frameworks: Mapping[str, Framework],
    source: str,
    problems: list[Problem],
) -> Activity | None:
    before = len(problems)
    data: dict[str, Any] = {
        k: v for k, v in row.items() if k not in ("duration_hours", "cost", "tags")
    }
    for name in ("duration_hours", "cost"):
        if name in row:
            try:
                data[name] = _parse_number(row[name])
            except ValueError as exc:
                problems.append(Problem(name, str(exc), source, line, column_of[name]))
    tags: list[Tag] = []
    for part in filter(str.strip, row.get("tags", "").split("|")):
        try:
            tags.append(Tag.parse(part))
        except ValueError as exc:
            problems.append(Problem("tags", str(exc), source, line, column_of["tags"]))
    for message in check_tags(tags, frameworks):
        problems.append(Problem("tags", message, source, line, column_of["tags"]))
    data["tags"] = tuple(dict.fromkeys(tags))
    try:
        activity = Activity.model_validate(data)
    except ValidationError as exc:
        for problem in problems_from_pydantic(exc, source=source, line=line):
            top = problem.field.split(".")[0]
            problems.append(
                Problem(problem.field, problem.message, source, line, column_of.get(top))
            )
        return None
    return activity if len(problems) == before else None


def read_json(
    text: str, frameworks: Mapping[str, Framework], source: str = "<json>"
) -> list[Activity]:
    """Parse a JSON catalogue: a list of activity objects with `tags` as a list of objects."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput.single(
            "", f"invalid JSON: {exc.msg}", source=source, line=exc.lineno, column=exc.colno
        ) from None
    return parse_activities(data, frameworks, source)


def parse_activities(
    data: Any, frameworks: Mapping[str, Framework], source: str = "<json>"
) -> list[Activity]:
    """Validate already-decoded activity objects; fields are named ``[index].field``."""
    if not isinstance(data, list):
        raise InvalidInput.single("", "expected a JSON list of activities", source=source)
    problems: list[Problem] = []
    activities: list[Activity] = []
    indexes: list[int] = []
    for index, item in enumerate(data):
        try:
            activity = Activity.model_validate(item)
        except ValidationError as exc:
            problems.extend(problems_from_pydantic(exc, source=source, prefix=f"[{index}]"))
            continue
        for message in check_tags(activity.tags, frameworks):
            problems.append(Problem(f"[{index}].tags", message, source))
        activities.append(activity)
        indexes.append(index)
    ids = [a.id for a in activities]
    for i, first in repeats(ids):
        message = f"duplicate id {ids[i]!r} (first at [{indexes[first]}])"
        problems.append(Problem(f"[{indexes[i]}].id", message, source))
    if problems:
        raise InvalidInput(problems)
    return activities


def load_catalogue(path: str | Path, frameworks: Mapping[str, Framework]) -> list[Activity]:
    """Read a catalogue file, choosing CSV or JSON by its extension (CSV unless ``.json``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.single("", f"cannot read file: {exc}", source=str(path)) from None
    if path.suffix.lower() == ".json":
        return read_json(text, frameworks, source=str(path))
    return read_csv(text, frameworks, source=str(path))


def write_csv(activities: Sequence[Activity]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for activity in activities:
        writer.writerow({k: neutralise(v) for k, v in activity.to_csv_row().items()})
    return buffer.getvalue()


def write_json(activities: Sequence[Activity]) -> str:
    payload = [activity.model_dump(mode="json") for activity in activities]
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
