"""Read a framework in any format cpdrec understands, telling the format from the content.

Native JSON (CONTRACT §1), a CASE 1.0 package (`recommender.case`) and a Moodle competency
framework CSV (`recommender.moodle`) all come back as one validated `Framework`. The content
decides: JSON whose top-level object has a ``CFDocument`` is CASE, other JSON is native, and text
whose first line is a tool_lpimportcsv header is Moodle CSV. A file name or content type is only a
hint for content that is neither, so a broken upload still gets the error of the format it meant
to be (a JSON syntax error with line and column, a missing CSV column), not a vague "unknown".
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from recommender.case import import_case
from recommender.errors import InvalidInput
from recommender.frameworks import Framework, parse_framework
from recommender.moodle import import_moodle_csv, looks_like_moodle_csv

Format = Literal["native", "case", "moodle"]
Subject = Literal["practitioner", "organisation"]
Hint = Literal["json", "csv"]

_CONTENT_TYPE = re.compile(r"^(application|text)/[a-z0-9.+-]+$")
_CSV_TYPES = frozenset(
    {
        "text/csv",
        "text/comma-separated-values",
        "application/csv",
        "application/vnd.ms-excel",
        "text/tab-separated-values",
    }
)
_CSV_SUFFIXES = frozenset({".csv", ".tsv"})


def detect_format(text: str) -> Format | None:
    """The format `text` is in, or None when it looks like none of them."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            return None
        return "case" if isinstance(data, dict) and "CFDocument" in data else "native"
    return "moodle" if looks_like_moodle_csv(stripped) else None


def read_framework_file(
    path: str | Path,
    *,
    framework_id: str | None = None,
    subject: Subject | None = None,
) -> Framework:
    """Load a framework file of any supported format; `InvalidInput` names file, line, column."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput.single(
            "", f"cannot read file: {exc.strerror}", source=str(path)
        ) from None
    return _parse(data, str(path), _hint_from_name(path.name), framework_id, subject)


def parse_framework_bytes(
    data: bytes,
    filename_or_content_type: str | None,
    *,
    framework_id: str | None = None,
    subject: Subject | None = None,
) -> Framework:
    """Parse an uploaded framework; the second argument is its file name or its content type.

    A file name also names the upload in every `Problem`; a content type does not.
    """
    label = (filename_or_content_type or "").strip()
    media_type = label.split(";", 1)[0].strip().lower()
    if _CONTENT_TYPE.match(media_type):
        hint: Hint | None = (
            "json" if media_type.endswith("json") else "csv" if media_type in _CSV_TYPES else None
        )
        return _parse(data, None, hint, framework_id, subject)
    return _parse(data, label or None, _hint_from_name(label), framework_id, subject)


def _hint_from_name(name: str) -> Hint | None:
    suffix = Path(name).suffix.lower()
    return "json" if suffix == ".json" else "csv" if suffix in _CSV_SUFFIXES else None


def _parse(
    data: bytes,
    source: str | None,
    hint: Hint | None,
    framework_id: str | None,
    subject: Subject | None,
) -> Framework:
    text = _decode(data, source)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")) or (hint == "json" and not looks_like_moodle_csv(text)):
        return _parse_json(text, source, framework_id, subject)
    if looks_like_moodle_csv(text) or hint == "csv":
        return import_moodle_csv(
            text, source=source, framework_id=framework_id, subject=subject or "practitioner"
        )
    raise InvalidInput.single(
        "",
        "unrecognised framework format: expected native framework JSON, a CASE 1.0 package "
        "(JSON with a CFDocument) or a Moodle competency framework CSV",
        source=source,
        line=1,
    )


def _decode(data: bytes, source: str | None) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InvalidInput.single(
            "",
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            source=source,
            line=line,
            column=column,
        ) from None


def _parse_json(
    text: str, source: str | None, framework_id: str | None, subject: Subject | None
) -> Framework:
    try:
        data: Any = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise InvalidInput.single(
            "", f"invalid JSON: {exc.msg}", source=source, line=exc.lineno, column=exc.colno
        ) from None
    if isinstance(data, dict) and "CFDocument" in data:
        return import_case(data, framework_id=framework_id, subject=subject, source=source)
    if isinstance(data, dict):
        overrides = {"id": framework_id, "subject": subject}
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    return parse_framework(data, source=source)
