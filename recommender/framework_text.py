"""Text helpers shared by the framework interchange readers (CASE, Moodle).

Other systems name things freely; a native framework needs a kebab-case id and strand or level
ids without ``:`` or ``|`` (CONTRACT §1). These helpers turn foreign names and blocks of text into
those shapes the same way in every reader, so one framework imported twice gets the same ids.
"""

from __future__ import annotations

import re
import unicodedata

from recommender.frameworks import FORBIDDEN_ID_CHARS

MAX_SLUG = 64
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_BULLET = re.compile(r"^(?:[-*+\u2022\u25aa\u25e6]|\d+[.)])\s+")
_SPACES = re.compile(r"\s+")


def slugify(text: str, *, max_length: int = MAX_SLUG) -> str:
    """Lowercase kebab-case ASCII, cut at a hyphen so long titles stay readable; may be ''."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NON_ALNUM.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug


def is_part_id(text: str | None) -> bool:
    """Whether `text` can be a strand or level id as it stands (CONTRACT §1)."""
    return bool(text and text.strip() == text and not any(c in text for c in FORBIDDEN_ID_CHARS))


def normalise_label(text: str) -> str:
    """The form two labels are compared in: case and runs of whitespace do not matter."""
    return _SPACES.sub(" ", text).strip().casefold()


def collapse_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def split_statements(text: str | None) -> list[str]:
    """One statement per non-blank line, with list bullets ('-', '*', '•', '1.') removed."""
    if not text:
        return []
    statements = []
    for line in text.splitlines():
        statement = collapse_spaces(_BULLET.sub("", line.strip()))
        if statement:
            statements.append(statement)
    return statements
