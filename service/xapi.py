"""xAPI 1.0.3 statements in, feedback events out: how an LMS or an LRS reports what teachers did.

`POST /v1/xapi/statements` takes what an LRS's statement resource takes (one statement, or an
array of them) so that an LMS plugin or an LRS forwarder can point at it unchanged. Only the
part of a statement that says *who did what to which catalogue activity, when, and how they
rated it* is validated strictly; everything else (context, authority, attachments, ...) is
ignored, as xAPI asks of a consumer. An LRS forwards every statement it stores, so a statement
about something that is not in the catalogue, or with a verb we do not map, is not an error:
it yields no feedback (`to_feedback` returns None).

Verbs (the verb IRI alone decides, never its display text; ``http`` and ``https`` spellings of
the same IRI are treated alike because both circulate for the ADL verbs):

==============================================  ==========  ====================================
Verb IRI                                        Event       Why
==============================================  ==========  ====================================
http://adlnet.gov/expapi/verbs/completed        completed
http://adlnet.gov/expapi/verbs/passed           completed   passing implies finishing
http://adlnet.gov/expapi/verbs/mastered         completed
https://w3id.org/xapi/adl/verbs/satisfied       completed   cmi5: the LMS judged it done
http://adlnet.gov/expapi/verbs/experienced      viewed      ADL: "only encountered the object"
http://id.tincanapi.com/verb/viewed             viewed      what Moodle's logstore_xapi sends
http://adlnet.gov/expapi/verbs/launched         started     the learner opened the content
http://adlnet.gov/expapi/verbs/initialized      started     cmi5: the content says it started
http://adlnet.gov/expapi/verbs/attended         started     present at an event; finished only
                                                            with ``result.completion: true``
http://adlnet.gov/expapi/verbs/attempted        started
http://adlnet.gov/expapi/verbs/progressed       started
http://id.tincanapi.com/verb/rated              rated       rating from ``result.score``, below
http://activitystrea.ms/schema/1.0/ignore       dismissed   "the actor has ignored the object"
http://adlnet.gov/expapi/verbs/voided           (none)      voiding is not supported
==============================================  ==========  ====================================

* A viewed or started verb with ``result.completion: true`` counts as completed (xAPI's own
  example reports a finished course as ``attempted`` with ``completion: true``).
* ``rated``: the rating is ``result.score.raw`` mapped linearly from [min, max] (each 1 and 5
  when absent) onto 1..5, else ``result.score.scaled`` mapped from xAPI's [-1, 1] onto 1..5,
  rounded half up. A rating of a catalogue activity without either is a validation error at
  ``result.score``; send ``raw`` with ``min`` and ``max`` to say exactly which star was chosen.
* Not mapped: ``http://id.tincanapi.com/verb/skipped`` (video players send it for a seek, so it
  would dismiss what someone is watching), ``failed``, ``terminated``, ``abandoned``, and every
  other verb.
* Voiding is not supported: a ``voided`` statement yields nothing, and the feedback already
  recorded from the statement it voids stays.

Subjects: an ``account`` actor is its ``account.name``, the LMS's own user id as used elsewhere
in the API, which names users by that id alone (``homePage`` is not part of it). An
``mbox`` is never kept: it becomes ``mbox_sha1sum:<sha1 of the mailto IRI>`` (domain lowercased,
as xAPI asks of whoever computes an mbox_sha1sum), so it matches the same person sent as an
``mbox_sha1sum``; an ``openid`` becomes ``openid:<iri>``. Identified groups count as agents;
anonymous groups yield nothing. Parsed `Statement` objects still hold the email: do not log them.

Errors are `InvalidInput` problems located by JSON path into the body (``actor.mbox`` for one
statement, ``[2].actor.mbox`` in an array), which the service renders as a 422.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from recommender.errors import InvalidInput, Problem
from recommender.validation import problems_from_pydantic, repeats

XAPI_VERSION = "1.0.3"
"""Send as the ``X-Experience-API-Version`` response header (xAPI 1.0.3 Part 3 §3.3)."""

Event = Literal["viewed", "started", "completed", "rated", "dismissed"]

ADL = "http://adlnet.gov/expapi/verbs/"
TINCAN = "http://id.tincanapi.com/verb/"
VOIDED = ADL + "voided"
RATED = TINCAN + "rated"

VERBS: dict[str, Event] = {
    ADL + "completed": "completed",
    ADL + "passed": "completed",
    ADL + "mastered": "completed",
    "https://w3id.org/xapi/adl/verbs/satisfied": "completed",
    ADL + "experienced": "viewed",
    TINCAN + "viewed": "viewed",
    ADL + "launched": "started",
    ADL + "initialized": "started",
    ADL + "attended": "started",
    ADL + "attempted": "started",
    ADL + "progressed": "started",
    RATED: "rated",
    "http://activitystrea.ms/schema/1.0/ignore": "dismissed",
}
"""Verb IRI -> feedback event; the module docstring says why each is there."""

RATING_MIN, RATING_MAX = 1, 5
"""The scale of `XapiFeedback.rating`, and the default ``min`` and ``max`` of a raw score."""

_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+")
"""Absolute IRI: a scheme, a colon, no whitespace. xAPI requires absolute IRIs, nothing more."""
_MBOX = re.compile(r"mailto:[^\s@]+@[^\s@]+")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TIMESTAMP = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
    r"(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
_VERSION = re.compile(r"1\.0(?:\.\d+)?")


def _iri(value: str) -> str:
    if not _IRI.fullmatch(value):
        raise ValueError("must be an absolute IRI (scheme:..., no spaces)")
    return value


def _uuid(value: object) -> object:
    """The standard string form only: xAPI forbids braces, URNs and hyphen-less forms."""
    if isinstance(value, str) and not _UUID.fullmatch(value):
        raise ValueError("must be a UUID in standard form (8-4-4-4-12 hex digits)")
    return value.lower() if isinstance(value, str) else value


def _timestamp(value: object) -> object:
    """ISO 8601 date and time, normalised to UTC; a timestamp without an offset is taken as UTC.

    Checked against a pattern first because `datetime.fromisoformat` also takes dates alone and
    ISO's basic format, which xAPI (RFC 3339, "SHOULD*") does not mean by a timestamp.
    """
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date and time string")
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        raise ValueError("must be an ISO 8601 date and time, e.g. 2025-03-01T09:30:00Z")
    date, time, zone = match.group(1), match.group(2), match.group("zone")
    if "." in time:  # fromisoformat keeps microseconds; xAPI allows any precision
        whole, fraction = time.split(".")
        time = f"{whole}.{fraction[:6]}"
    try:
        parsed = datetime.fromisoformat(f"{date}T{time}{(zone or '').upper()}")
    except ValueError:
        raise ValueError("is not a valid date and time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _iri_or_other(value: object) -> object:
    return _iri(value) if isinstance(value, str) else value  # pydantic reports other types


Iri = Annotated[StrictStr, BeforeValidator(_iri_or_other)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A JSON number: no strings, no booleans, nothing infinite."""

_LENIENT = ConfigDict(extra="ignore", frozen=True)
"""Statements carry much we do not use; xAPI asks consumers to ignore what they do not know."""


class Account(BaseModel):
    model_config = _LENIENT

    homePage: Iri
    name: StrictStr = Field(min_length=1)


class Agent(BaseModel):
    """An Agent, or a Group when ``objectType`` says so (xAPI 1.0.3 Part 2 §2.4.2)."""

    model_config = _LENIENT

    objectType: Literal["Agent", "Group"] = "Agent"
    name: StrictStr | None = None
    mbox: StrictStr | None = None
    mbox_sha1sum: StrictStr | None = None
    openid: Iri | None = None
    account: Account | None = None
    member: list[Member] | None = None

    @field_validator("mbox")
    @classmethod
    def _mbox(cls, value: str | None) -> str | None:
        if value is not None and not _MBOX.fullmatch(value):
            raise ValueError("must be a mailto IRI: mailto:name@domain")
        return value

    @field_validator("mbox_sha1sum")
    @classmethod
    def _sha1(cls, value: str | None) -> str | None:
        if value is not None and not _SHA1.fullmatch(value):
            raise ValueError("must be 40 hex digits (the SHA-1 of a mailto IRI)")
        return None if value is None else value.lower()

    @model_validator(mode="after")
    def _one_identifier(self) -> Agent:
        found = self.identifiers()
        if len(found) > 1:
            raise ValueError(
                "must have exactly one inverse functional identifier; found " + ", ".join(found)
            )
        if found:
            return self
        if self.objectType == "Agent":
            raise ValueError(
                "must have exactly one inverse functional identifier "
                "(mbox, mbox_sha1sum, openid or account); found none"
            )
        if not self.member:
            raise ValueError("an anonymous group (no identifier) must list its members")
        return self

    def identifiers(self) -> list[str]:
        """Names of the inverse functional identifiers present."""
        return [
            name
            for name in ("mbox", "mbox_sha1sum", "openid", "account")
            if getattr(self, name) is not None
        ]


class Member(Agent):
    """A Group's member: an Agent, never a Group (§2.4.2.2)."""

    objectType: Literal["Agent"] = "Agent"


Agent.model_rebuild()


class Verb(BaseModel):
    model_config = _LENIENT

    id: Iri
    display: dict[StrictStr, StrictStr] | None = None


class StatementObject(BaseModel):
    """What the statement is about: only an Activity (the default type) is checked further."""

    model_config = _LENIENT

    objectType: Literal["Activity", "Agent", "Group", "StatementRef", "SubStatement"] = "Activity"
    id: StrictStr | None = Field(default=None, validate_default=True)

    @field_validator("id")
    @classmethod
    def _activity_id(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("objectType") != "Activity":  # absent when objectType was invalid
            return value
        if value is None:
            raise ValueError("an Activity needs an id")
        return _iri(value)


class Score(BaseModel):
    model_config = _LENIENT

    scaled: Number | None = Field(default=None, ge=-1, le=1)
    raw: Number | None = None
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Score:
        """xAPI 1.0.3 §2.4.5.1: min < max, and raw within whichever of them is given."""
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError("min must be less than max")
        if self.raw is not None:
            if self.min is not None and self.raw < self.min:
                raise ValueError("raw must not be below min")
            if self.max is not None and self.raw > self.max:
                raise ValueError("raw must not be above max")
        return self


class Result(BaseModel):
    model_config = _LENIENT

    score: Score | None = None
    success: StrictBool | None = None
    completion: StrictBool | None = None
    response: StrictStr | None = None


class Statement(BaseModel):
    """The part of an xAPI 1.0.3 statement that feedback needs, checked as xAPI requires."""

    model_config = _LENIENT

    id: Annotated[StrictStr, BeforeValidator(_uuid)] | None = None
    actor: Agent
    verb: Verb
    object: StatementObject
    result: Result | None = None
    timestamp: Annotated[datetime, BeforeValidator(_timestamp)] | None = None
    version: StrictStr | None = None

    @field_validator("version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        """An LRS must reject a statement version outside 1.0.x (§2.4.10)."""
        if value is not None and not value.startswith("1.0."):
            raise ValueError("must be a 1.0.x version (statements say 1.0.0)")
        return value


@dataclass(frozen=True)
class XapiFeedback:
    """One feedback event taken from one statement; holds no email address."""

    statement_id: str
    """The statement's id, or a new uuid4 when it had none (retries then count twice)."""
    subject: str
    """Who: the LMS user id of an ``account``, else ``mbox_sha1sum:<hex>`` or ``openid:<iri>``."""
    activity: str
    """The catalogue activity id the object IRI resolved to."""
    event: Event
    rating: int | None
    """1..5 when ``event == "rated"``, else None."""
    at: datetime
    """The statement's timestamp in UTC, or the time it was read when it had none."""


@dataclass(frozen=True)
class XapiBatch:
    """What one POST body yields: the id of every statement, and the feedback among them."""

    statement_ids: tuple[str, ...]
    """One per statement in body order, generated where absent: the xAPI POST response body."""
    feedback: tuple[XapiFeedback, ...]


def check_version(header: str | None) -> str | None:
    """The error for an ``X-Experience-API-Version`` request header, or None when acceptable.

    xAPI requires clients to send it; we also accept its absence, since a plain LMS webhook may
    not know the header. ``1.0`` counts as ``1.0.0``; any 1.0.x is accepted (§3.3).
    """
    if header is None or _VERSION.fullmatch(header.strip()):
        return None
    return (
        f"X-Experience-API-Version {header.strip()[:20]!r} is not supported: "
        f"this endpoint accepts 1.0.x statements (it speaks {XAPI_VERSION})"
    )


def parse_statements(body: object) -> list[Statement]:
    """Validate a POST body, one statement or an array of them, as xAPI's statement resource does.

    Raises `InvalidInput` naming every problem by its path into the body; an array is all or
    nothing, as an LRS treats a batch. Statement ids must be unique within the body.
    """
    items, prefix = _items(body)
    problems: list[Problem] = []
    statements: list[Statement] = []
    indexes: list[int] = []
    for index, item in enumerate(items):
        try:
            statements.append(Statement.model_validate(item))
        except ValidationError as exc:
            problems.extend(problems_from_pydantic(exc, prefix=prefix(index)))
            continue
        indexes.append(index)
    with_ids = [(i, s.id) for i, s in zip(indexes, statements, strict=True) if s.id is not None]
    ids = [statement_id for _, statement_id in with_ids]
    for i, first in repeats(ids):
        message = f"duplicate statement id {ids[i]} (first at [{with_ids[first][0]}])"
        problems.append(Problem(_join(prefix(with_ids[i][0]), "id"), message))
    if problems:
        raise InvalidInput(problems)
    return statements


def to_feedback(
    statement: Statement,
    resolve: Callable[[str], str | None],
    *,
    now: datetime | None = None,
) -> XapiFeedback | None:
    """The feedback event a statement reports, or None when it reports none we record.

    None for voided statements, objects other than an Activity, verbs not in `VERBS`,
    anonymous groups, and object IRIs `resolve` does not know (it is called only when
    everything else would yield feedback). Raises `InvalidInput` at ``result.score`` for a
    rating of a catalogue activity that carries no usable score.
    """
    verb = _canonical_verb(statement.verb.id)
    if verb == VOIDED or statement.object.objectType != "Activity":
        return None
    event = VERBS.get(verb)
    subject = subject_of(statement.actor)
    if event is None or subject is None or statement.object.id is None:
        return None
    activity = resolve(statement.object.id)
    if activity is None:
        return None
    result = statement.result
    rating = None
    if event == "rated":
        rating = _rating(result.score if result else None)
    elif event in ("viewed", "started") and result is not None and result.completion:
        event = "completed"
    return XapiFeedback(
        statement_id=statement.id or str(uuid.uuid4()),
        subject=subject,
        activity=activity,
        event=event,
        rating=rating,
        at=statement.timestamp or now or datetime.now(UTC),
    )


def feedback_from_body(
    body: object,
    resolve: Callable[[str], str | None],
    *,
    now: datetime | None = None,
) -> XapiBatch:
    """Everything the route needs from a POST body: `parse_statements`, then `to_feedback`.

    Statements without an id get one here, so the ids returned and the feedback's ids agree.
    Raises `InvalidInput` with every problem in the body, located as `parse_statements` does.
    """
    _, prefix = _items(body)
    read_at = now or datetime.now(UTC)
    statements = [
        s if s.id is not None else s.model_copy(update={"id": str(uuid.uuid4())})
        for s in parse_statements(body)
    ]
    problems: list[Problem] = []
    feedback: list[XapiFeedback] = []
    for index, statement in enumerate(statements):
        try:
            found = to_feedback(statement, resolve, now=read_at)
        except InvalidInput as exc:
            problems.extend(Problem(_join(prefix(index), p.field), p.message) for p in exc.problems)
            continue
        if found is not None:
            feedback.append(found)
    if problems:
        raise InvalidInput(problems)
    return XapiBatch(tuple(s.id or "" for s in statements), tuple(feedback))


def subject_of(actor: Agent) -> str | None:
    """Who the feedback is about, without keeping an email address; None for anonymous groups."""
    if actor.account is not None:
        return actor.account.name
    if actor.mbox is not None:
        return "mbox_sha1sum:" + mbox_sha1sum(actor.mbox)
    if actor.mbox_sha1sum is not None:
        return "mbox_sha1sum:" + actor.mbox_sha1sum
    if actor.openid is not None:
        return "openid:" + actor.openid
    return None


def mbox_sha1sum(mbox: str) -> str:
    """xAPI's mbox_sha1sum of a mailto IRI, with the domain lowercased as §2.4.2.3 asks."""
    local, _, domain = mbox.rpartition("@")
    return hashlib.sha1(f"{local}@{domain.lower()}".encode()).hexdigest()


ACTIVITY_URN = "urn:cpdrec:activity:"


def activity_ref(iri: str) -> str | None:
    """The catalogue id named by an IRI we coined, or None: a helper for the route's `resolve`.

    Two forms, each percent-decoded: ``urn:cpdrec:activity:<id>`` (the scheme and namespace are
    case-insensitive, as in any URN) and any URL whose path ends ``/activities/<id>``, such as
    this API's own ``/v1/activities/<id>`` (query and fragment ignored). Whether the id exists
    is the caller's question; resolving an activity's own ``url`` needs the catalogue too.
    """
    if iri[: len(ACTIVITY_URN)].lower() == ACTIVITY_URN:
        ref = iri[len(ACTIVITY_URN) :]
    else:
        try:
            parts = urlsplit(iri)
        except ValueError:
            return None
        head, _, ref = parts.path.rpartition("/")
        if not parts.netloc or not (head == "/activities" or head.endswith("/activities")):
            return None
    ref = unquote(ref)
    return ref if ref.strip() == ref and 0 < len(ref) <= 100 else None


def _rating(score: Score | None) -> int:
    """1..5 from a score: raw over [min, max] (default 1..5), else scaled over [-1, 1]."""
    if score is not None and score.raw is not None:
        low = RATING_MIN if score.min is None else score.min
        high = RATING_MAX if score.max is None else score.max
        if not low <= score.raw <= high or not low < high:
            raise InvalidInput.single(
                "result.score.raw",
                f"a rating must lie within min and max ({RATING_MIN} and {RATING_MAX} when "
                "not given)",
            )
        return _scale(score.raw, low, high)
    if score is not None and score.scaled is not None:
        return _scale(score.scaled, -1.0, 1.0)
    raise InvalidInput.single(
        "result.score", "a rating needs result.score.raw (with min and max) or result.score.scaled"
    )


def _scale(value: float, low: float, high: float) -> int:
    """`value` in [low, high] mapped linearly onto 1..5, rounded half up, clamped for safety."""
    stars = RATING_MIN + (value - low) * (RATING_MAX - RATING_MIN) / (high - low)
    return max(RATING_MIN, min(RATING_MAX, math.floor(stars + 0.5)))


def _canonical_verb(iri: str) -> str:
    """``https://`` spellings of the ``http://`` verb IRIs we know map to the same verb."""
    if iri.startswith("https://"):
        http = "http://" + iri.removeprefix("https://")
        if http in VERBS or http == VOIDED:
            return http
    return iri


def _items(body: object) -> tuple[Sequence[object], Callable[[int], str]]:
    """The statements in a body and how to name the location of the i-th."""
    if isinstance(body, list):
        return body, lambda index: f"[{index}]"
    if isinstance(body, dict):
        return [body], lambda index: ""
    raise InvalidInput.single("body", "expected a statement (JSON object) or an array of them")


def _join(prefix: str, field: str) -> str:
    return ".".join(part for part in (prefix, field) if part)
