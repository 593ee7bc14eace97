"""One error type for bad input, carrying every problem found with where it was found.

Callers (CLI, HTTP) render the same `Problem` list in their own way: ``file:line:column: message``
on a terminal, an RFC 9457 body over HTTP. Collecting all problems before raising lets an import
report every bad row at once instead of one per attempt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows."""

    field: str
    message: str
    source: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = ":".join(
            str(part) for part in (self.source, self.line, self.column) if part is not None
        )
        prefix = f"{where}: " if where else ""
        field = f"{self.field}: " if self.field else ""
        return f"{prefix}{field}{self.message}"


class InvalidInput(ValueError):
    """Raised when input data breaks a rule; `problems` lists every violation found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("InvalidInput needs at least one problem")
        super().__init__(str(self.problems[0]))

    @classmethod
    def single(cls, field: str, message: str, **where: object) -> InvalidInput:
        return cls([Problem(field, message, **where)])  # type: ignore[arg-type]


class NotFitted(RuntimeError):
    """Raised when a model is used before `fit`."""
