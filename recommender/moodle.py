"""Moodle competency-framework CSV (admin tool `tool_lpimportcsv`) in: a tree becomes a framework.

Moodle writes one row per competency under a header of 14 columns ("Parent ID number", "ID
number", "Short name", "Description", "Description format", "Scale values", ...,  "Is framework",
"Taxonomy"); the row with "Is framework" set is the framework and every other row names its
parent by ID number (empty: a top-level competency). Moodle competencies carry no per-level text,
so cpdrec reads the tree four deep, the way frameworks with proficiency levels are usually built
in Moodle (taxonomy e.g. "domain, level, indicator"):

- framework row → the framework: title = Short name, id = `framework_id` or a slug of its ID
  number, levels = its "Scale values" in Moodle's order, which is lowest first;
- its direct children → strands (id = ID number when valid, else a slug; title = Short name);
- a strand's children → that strand's levels: each one's Short name names a scale value (case
  and spacing aside); its statements are its Description's paragraphs and list items, then
- one statement per child of a level competency: its Description, or its Short name if empty.

Anything that would need guessing is a `Problem` naming the file, line (header = line 1) and
column: a missing column, no or two framework rows, an unknown parent or a loop, a competency
deeper than a statement, a level competency whose name is not on the scale, a competency with
its own scale different from the framework's (one scale per framework, as gaps compare level
positions), a strand with no statements. Headers match in Moodle's older spellings too
("Shortname", "Cross referenced competency id numbers"); rule, cross-reference and exported-id
columns are read by Moodle only and ignored here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from recommender.errors import InvalidInput, Problem
from recommender.framework_text import (
    collapse_spaces,
    html_text,
    is_part_id,
    markdown_statements,
    normalise_label,
    slugify,
    split_statements,
)
from recommender.frameworks import FRAMEWORK_ID, Framework, parse_framework

FORMAT = "moodle-csv"
Subject = Literal["practitioner", "organisation"]

COLUMNS = {
    "parentidnumber": "Parent ID number",
    "idnumber": "ID number",
    "shortname": "Short name",
    "description": "Description",
    "descriptionformat": "Description format",
    "scalevalues": "Scale values",
    "isframework": "Is framework",
}
"""The columns this reader needs, by normalised header, with Moodle's current English names."""

DELIMITERS = (",", ";", "\t", ":")
"""The separators Moodle's import form offers."""

FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN, FORMAT_MARKDOWN = "0", "1", "2", "4"
TRUE_VALUES = frozenset({"1", "true", "yes"})
FALSE_VALUES = frozenset({"", "0", "false", "no"})
STRAND, LEVEL, STATEMENT = 1, 2, 3

_HEADER_NOISE = re.compile(r"\(optional\)|[^a-z]")


def header_key(name: str) -> str:
    """'Short name', 'Shortname' and 'Rule type (optional)' → 'shortname', 'ruletype'."""
    return _HEADER_NOISE.sub("", name.strip().lstrip("\ufeff").lower())


def looks_like_moodle_csv(text: str) -> bool:
    """Whether the first line is a competency-framework header, in any Moodle delimiter."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return any(
        {"isframework", "parentidnumber", "idnumber"} <= {header_key(c) for c in first.split(d)}
        for d in DELIMITERS
    )


@dataclass
class _Row:
    line: int
    cells: dict[str, str]
    children: list[_Row] = field(default_factory=list)

    def __getitem__(self, key: str) -> str:
        return self.cells.get(key, "")


class _Reader:
    def __init__(self, text: str, source: str | None) -> None:
        self.text = text.lstrip("\ufeff")
        self.source = source
        self.problems: list[Problem] = []
        self.header: dict[str, tuple[str, int]] = {}

    def add(self, row: _Row | None, key: str, message: str) -> None:
        name, column = self.header.get(key, (COLUMNS.get(key, key), None))
        self.problems.append(
            Problem(
                name, message, source=self.source, line=row.line if row else None, column=column
            )
        )

    def fail(self, message: str, line: int | None = None) -> InvalidInput:
        return InvalidInput([Problem("", message, source=self.source, line=line)])

    def rows(self) -> list[_Row]:
        delimiter = self._delimiter()
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=delimiter)
        rows: list[_Row] = []
        try:
            header = next(reader, None)
            if header is None:
                raise self.fail("empty file: expected a Moodle competency framework CSV")
            for index, name in enumerate(header, start=1):
                self.header.setdefault(header_key(name), (name.strip().lstrip("\ufeff"), index))
            missing = [name for key, name in COLUMNS.items() if key not in self.header]
            if missing:
                raise InvalidInput(
                    Problem(name, "missing column (tool_lpimportcsv header)", self.source, 1)
                    for name in missing
                )
            last_line = reader.line_num
            for record in reader:
                line, last_line = last_line + 1, reader.line_num
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) > len(header):
                    self.problems.append(
                        Problem(
                            "",
                            f"row has {len(record)} fields, the header {len(header)}",
                            self.source,
                            line,
                            len(header) + 1,
                        )
                    )
                cells = {
                    key: record[i - 1].strip() if i <= len(record) else ""
                    for key, (_, i) in self.header.items()
                }
                rows.append(_Row(line, cells))
        except csv.Error as exc:
            raise self.fail(f"invalid CSV: {exc}", reader.line_num) from None
        return rows

    def _delimiter(self) -> str:
        first = self.text.split("\n", 1)[0]
        counts = {
            d: len({header_key(c) for c in first.split(d)} & COLUMNS.keys()) for d in DELIMITERS
        }
        return max(DELIMITERS, key=lambda d: counts[d])

    def is_framework(self, row: _Row) -> bool:
        value = row["isframework"].lower()
        if value in TRUE_VALUES:
            return True
        if value not in FALSE_VALUES:
            self.add(row, "isframework", f"{row['isframework']!r} is not 1 or empty")
        return False

    def statements(self, row: _Row) -> list[str]:
        fmt = row["descriptionformat"] or FORMAT_MOODLE
        text = row["description"]
        if fmt == FORMAT_HTML:
            return split_statements(html_text(text))
        if fmt == FORMAT_MOODLE:
            return split_statements(html_text(text.replace("\n", "<br>")))
        if fmt == FORMAT_PLAIN:
            return split_statements(text)
        if fmt == FORMAT_MARKDOWN:
            return markdown_statements(text)
        self.add(
            row,
            "descriptionformat",
            f"{fmt!r} is not a Moodle text format (0 Moodle, 1 HTML, 2 plain, 4 Markdown)",
        )
        return []


def import_moodle_csv(
    text: str,
    *,
    source: str | None = None,
    framework_id: str | None = None,
    subject: Subject = "practitioner",
) -> Framework:
    """Map the text of a tool_lpimportcsv export to a native framework, or raise `InvalidInput`."""
    reader = _Reader(text, source)
    rows = reader.rows()
    frameworks = [row for row in rows if reader.is_framework(row)]
    if not frameworks:
        reader.add(None, "isframework", "no row has Is framework = 1 (the framework row)")
        raise InvalidInput(reader.problems)
    for extra in frameworks[1:]:
        reader.add(
            extra,
            "isframework",
            f"a second framework row (the first is on line {frameworks[0].line}); "
            "one framework per file",
        )
    root = frameworks[0]
    scale = _scale(root["scalevalues"])
    if not scale:
        reader.add(
            root, "scalevalues", "the framework row has no scale values; its scale gives the levels"
        )
    competencies = [row for row in rows if row not in frameworks]
    _build_tree(reader, root, competencies)
    levels = _levels(reader, root, scale)
    title = collapse_spaces(root["shortname"]) or root["idnumber"]
    document = {
        "id": _framework_id(reader, root, framework_id),
        "title": title,
        "subject": subject,
        "levels": levels,
        "strands": _strands(reader, root, scale, [level["id"] for level in levels]),
        "source": {"format": FORMAT, "idnumber": root["idnumber"]},
    }
    if not title:
        reader.add(root, "shortname", "the framework row has no short name")
    if reader.problems:
        raise InvalidInput(sorted(reader.problems, key=lambda p: (p.line or 0, p.column or 0)))
    return parse_framework(document, source=source)


def _scale(values: str) -> list[str]:
    return [v for v in (collapse_spaces(x) for x in values.split(",")) if v]


def _build_tree(reader: _Reader, root: _Row, competencies: Sequence[_Row]) -> None:
    by_id: dict[str, _Row] = {}
    for row in competencies:
        if not row["idnumber"]:
            reader.add(row, "idnumber", "competency has no ID number")
        elif row["idnumber"] in by_id:
            reader.add(
                row,
                "idnumber",
                f"ID number {row['idnumber']!r} is also on line {by_id[row['idnumber']].line}",
            )
        else:
            by_id[row["idnumber"]] = row
        if not row["shortname"]:
            reader.add(row, "shortname", "competency has no short name")
    for row in competencies:
        if row["idnumber"] and by_id.get(row["idnumber"]) is not row:
            continue  # a duplicate, reported above
        parent_id = row["parentidnumber"]
        parent = root if not parent_id else by_id.get(parent_id)
        if parent is None:
            reader.add(row, "parentidnumber", f"no competency has ID number {parent_id!r}")
        else:
            parent.children.append(row)
    for row in competencies:
        if _in_loop(row, by_id):
            reader.add(
                row, "parentidnumber", "its parents form a loop and never reach the framework"
            )


def _in_loop(row: _Row, by_id: dict[str, _Row]) -> bool:
    """Whether following Parent ID numbers from `row` comes back to a row already visited."""
    seen: set[int] = set()
    current: _Row | None = row
    while current is not None and current["parentidnumber"]:
        if id(current) in seen:
            return True
        seen.add(id(current))
        current = by_id.get(current["parentidnumber"])
    return False


def _framework_id(reader: _Reader, root: _Row, given: str | None) -> str:
    if given is not None:
        if not FRAMEWORK_ID.match(given):
            reader.problems.append(
                Problem("framework_id", f"{given!r} must be lowercase kebab-case", reader.source)
            )
        return given
    slug = slugify(root["idnumber"]) or slugify(root["shortname"])
    if not slug:
        reader.add(root, "idnumber", "cannot make a framework id from the ID number or short name")
    return slug


def _levels(reader: _Reader, root: _Row, scale: Sequence[str]) -> list[dict[str, Any]]:
    levels: list[dict[str, Any]] = []
    for n, label in enumerate(scale, start=1):
        level_id = slugify(label) or f"level-{n}"
        if any(level["id"] == level_id for level in levels):
            reader.add(
                root,
                "scalevalues",
                f"scale values {label!r} and another both get the level id {level_id!r}",
            )
        levels.append({"id": level_id, "label": label})
    return levels


def _strands(
    reader: _Reader, root: _Row, scale: Sequence[str], level_ids: Sequence[str]
) -> list[dict[str, Any]]:
    by_label = {normalise_label(label): i for i, label in enumerate(scale)}
    by_label.update({level_id: i for i, level_id in enumerate(level_ids)})
    strands: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for n, strand in enumerate(root.children, start=1):
        for row, depth in _with_depth(strand, STRAND):
            _check_scale(reader, row, scale)
            if depth > STATEMENT:
                reader.add(
                    row,
                    "parentidnumber",
                    f"competency is {depth} levels below the framework; cpdrec reads "
                    "framework → strand → level → statement",
                )
        title = collapse_spaces(strand["shortname"])
        strand_id = (
            strand["idnumber"]
            if is_part_id(strand["idnumber"])
            else (slugify(title) or f"strand-{n}")
        )
        if strand_id in seen:
            reader.add(
                strand,
                "idnumber",
                f"strand id {strand_id!r} is also the strand on line {seen[strand_id]}",
            )
        seen.setdefault(strand_id, strand.line)
        descriptors: dict[str, list[str]] = {}
        matched = False
        for level in strand.children:
            index = by_label.get(normalise_label(level["shortname"]))
            matched = matched or index is not None
            if index is None:
                if level["shortname"]:
                    reader.add(
                        level,
                        "shortname",
                        f"{level['shortname']!r} is not on the framework scale "
                        f"({', '.join(scale)}); a strand's child competencies are its "
                        "levels",
                    )
                continue
            statements = reader.statements(level)
            for child in level.children:
                statements.append(
                    " ".join(reader.statements(child)) or collapse_spaces(child["shortname"])
                )
            if statements:
                descriptors.setdefault(level_ids[index], []).extend(statements)
        if not strand.children:
            reader.add(
                strand,
                "shortname",
                f"strand {title!r} has no child competencies; give it one per scale value "
                "(Short name = the level) holding the statements",
            )
        elif matched and not descriptors:
            reader.add(strand, "shortname", f"strand {title!r} has no statements at any level")
        strands.append({"id": strand_id, "title": title, "descriptors": descriptors})
    if not root.children:
        reader.add(
            root,
            "parentidnumber",
            "the framework has no top-level competencies (empty Parent ID number)",
        )
    return strands


def _with_depth(row: _Row, depth: int) -> list[tuple[_Row, int]]:
    found = [(row, depth)]
    for child in row.children:
        found.extend(_with_depth(child, depth + 1))
    return found


def _check_scale(reader: _Reader, row: _Row, scale: Sequence[str]) -> None:
    own = _scale(row["scalevalues"])
    if own and [normalise_label(x) for x in own] != [normalise_label(x) for x in scale]:
        reader.add(
            row,
            "scalevalues",
            f"competency scale ({', '.join(own)}) differs from the framework's "
            f"({', '.join(scale)}); a framework has one level scale",
        )
