"""Turn pydantic's validation errors into located `Problem`s with dotted field paths."""

from __future__ import annotations

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
