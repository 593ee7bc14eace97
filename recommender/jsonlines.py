"""JSON-lines input (profiles, judgements, truth): one reader, located errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from recommender.errors import InvalidInput, Problem


def json_lines(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, decoded value) for each non-blank line; a line that is not JSON gives a
    `Problem` as its value, so callers can report every bad line at once."""
    source = str(path)
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.single("", f"cannot read file: {exc}", source=source) from None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, Problem("", f"invalid JSON: {exc.msg}", source, number, exc.colno)
