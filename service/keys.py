"""API keys: `cpd_<id>_<secret>`, stored only as an HMAC-SHA256 under the server secret."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal, get_args

Scope = Literal["recommend", "subjects", "self", "catalogue:write", "reports", "admin"]
SCOPES: tuple[str, ...] = get_args(Scope)
"""`recommend`: rank profiles sent in the request; `subjects`: store and use people's (or
schools') self-assessments, feedback and progress, export and erase them (an LMS plugin);
`self`: one person's own sign-in to the web pages (the key names them), for their own
self-assessments, recommendations, feedback, progress and data, and nobody else's;
`catalogue:write`: curate the catalogue and default targets, read the audit log;
`reports`: organisation-wide gap reports; `admin`: everything, including adding frameworks.
Any valid key may read frameworks and the catalogue."""

_KEY = re.compile(r"^cpd_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewKey:
    id: str
    plaintext: str
    digest: str


def digest(plaintext: str, secret: bytes) -> str:
    return hmac.new(secret, plaintext.encode(), hashlib.sha256).hexdigest()


def generate(secret: bytes) -> NewKey:
    key_id = secrets.token_hex(6)
    plaintext = f"cpd_{key_id}_{secrets.token_urlsafe(32)}"
    return NewKey(key_id, plaintext, digest(plaintext, secret))


def key_id(plaintext: str) -> str | None:
    """The public id of a well-formed key, else None."""
    match = _KEY.match(plaintext)
    return match.group(1) if match else None


def matches(plaintext: str, stored_digest: str, secret: bytes) -> bool:
    return hmac.compare_digest(digest(plaintext, secret), stored_digest)


def grants(scopes: list[str] | tuple[str, ...], needed: str) -> bool:
    return needed in scopes or "admin" in scopes
