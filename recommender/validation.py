"""Turn pydantic's validation errors into located `Problem`s with dotted field paths."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from recommender.errors import Problem


def field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def problems_from_pydantic(
    exc: ValidationError,
    *,
    source: str | None = None,
    line: int | None = None,
    prefix: str = "",
) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        path = field_path(tuple(error["loc"]))
        message = error["msg"].removeprefix("Value error, ")
        field = ".".join(part for part in (prefix, path) if part)
        problems.append(Problem(field, message, source=source, line=line))
    return problems


def repeats(values: Sequence[str]) -> list[tuple[int, int]]:
    """(index, index of its first occurrence) for every value that repeats an earlier one."""
    first: dict[str, int] = {}
    found = []
    for index, value in enumerate(values):
        if value in first:
            found.append((index, first[value]))
        else:
            first[value] = index
    return found
