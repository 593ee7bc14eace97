"""Text helpers shared by the framework interchange readers (CASE, Moodle).

Other systems name things freely; a native framework needs a kebab-case id and strand or level
ids without ``:`` or ``|`` (CONTRACT §1). These helpers turn foreign names and blocks of text into
those shapes the same way in every reader, so one framework imported twice gets the same ids;
HTML and Markdown descriptions become one statement per paragraph or list item.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

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


_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    }
)


class _TextExtractor(HTMLParser):
    """HTML to text with a line break at every block boundary; inline whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(_SPACES.sub(" ", data))


def html_text(html: str) -> str:
    """The text of an HTML fragment, one line per paragraph, list item or <br>."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


_MD_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def markdown_statements(text: str) -> list[str]:
    """Paragraphs and list items; soft-wrapped lines join their paragraph or item."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if not line.strip():
            current = None
        elif current is None or _MD_ITEM.match(line):
            current = [_MD_ITEM.sub("", line)]
            blocks.append(current)
        else:
            current.append(line)
    return [s for s in (collapse_spaces(" ".join(b)) for b in blocks) if s]
