"""Subjects (people or schools) and everything held on them, pseudonymous by construction.

An LMS names a subject by its own user id. The service keeps only an HMAC of that id under a
key derived from the server secret and the organisation, so the stored id is useless without
the secret, and the same LMS id in two organisations gives two unrelated subjects. Every
query here is scoped by organisation and pseudonym: there is no way to list or reach another
organisation's subjects.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from service import audit
from service.models import ApiKey, Assessment, Feedback, Subject, WebSession, utcnow
from service.problems import NotFound


@dataclass(frozen=True)
class SubjectIds:
    """Turns an organisation's LMS ids into the pseudonyms stored for them."""

    org: str
    key: bytes

    @classmethod
    def for_org(cls, secret: bytes, org: str) -> SubjectIds:
        return cls(org, hmac.new(secret, f"cpdrec-subjects:{org}".encode(), "sha256").digest())

    def of(self, external_id: str) -> str:
        return hmac.new(self.key, external_id.encode(), hashlib.sha256).hexdigest()


def find(session: Session, org: str, pseudonym: str) -> Subject | None:
    return session.get(Subject, (org, pseudonym))


def lookup(session: Session, ids: SubjectIds, external_id: str) -> Subject:
    """The subject an organisation knows by `external_id`, else NotFound (404)."""
    subject = find(session, ids.org, ids.of(external_id))
    if subject is None:
        raise NotFound("subject", external_id)
    return subject


def ensure(session: Session, org: str, pseudonym: str) -> Subject:
    """The subject, created if new. Two first requests for one subject may race: the insert
    does nothing if the other request's row is there (no savepoint, which pysqlite would
    commit early)."""
    subject = find(session, org, pseudonym)
    if subject is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(Subject)
            .values(org=org, id=pseudonym, created_at=utcnow())
            .on_conflict_do_nothing()
        )
        subject = find(session, org, pseudonym)
        if subject is None:  # neither inserted nor there: the database broke its promise
            raise RuntimeError(f"subject row missing after insert in {org!r}")
    return subject


def assessments(
    session: Session, org: str, pseudonym: str, framework: str | None = None
) -> list[Assessment]:
    """Oldest first."""
    query = select(Assessment).where(Assessment.org == org, Assessment.subject == pseudonym)
    if framework is not None:
        query = query.where(Assessment.framework == framework)
    return list(session.scalars(query.order_by(Assessment.assessed_at, Assessment.id)))


def latest(
    session: Session, org: str, pseudonym: str, framework: str | None = None
) -> Assessment | None:
    query = select(Assessment).where(Assessment.org == org, Assessment.subject == pseudonym)
    if framework is not None:
        query = query.where(Assessment.framework == framework)
    order = (Assessment.assessed_at.desc(), Assessment.id.desc())
    return session.scalars(query.order_by(*order).limit(1)).first()


def latest_per_subject(
    session: Session,
    org: str,
    *,
    framework: str | None = None,
    among: Collection[str] | None = None,
) -> dict[str, Assessment]:
    """Each subject's latest assessment (in `framework`; of the subjects `among`)."""
    query = select(Assessment).where(Assessment.org == org)
    if framework is not None:
        query = query.where(Assessment.framework == framework)
    if among is not None:
        query = query.where(Assessment.subject.in_(among))
    latest: dict[str, Assessment] = {}
    for row in session.scalars(query.order_by(Assessment.assessed_at, Assessment.id)):
        latest[row.subject] = row  # later rows replace earlier ones
    return latest


def feedback(session: Session, org: str, pseudonym: str) -> list[Feedback]:
    query = select(Feedback).where(Feedback.org == org, Feedback.subject == pseudonym)
    return list(session.scalars(query.order_by(Feedback.at, Feedback.id)))


FINISHED = ("completed", "dismissed")
"""Events after which an activity is never offered to that subject again."""


def finished_activities(session: Session, org: str, pseudonym: str) -> set[str]:
    query = select(Feedback.activity).where(
        Feedback.org == org, Feedback.subject == pseudonym, Feedback.event.in_(FINISHED)
    )
    return set(session.scalars(query))


def export(session: Session, org: str, subject: Subject) -> dict[str, Any]:
    """Everything held on one subject (GDPR access and portability), as plain JSON."""
    return {
        "subject": subject.id,
        "organisation": org,
        "created_at": subject.created_at.isoformat(),
        "assessments": [
            {
                "id": a.id,
                "framework": a.framework,
                "role": a.role,
                "assessed_at": a.assessed_at.isoformat(),
                "answers": a.answers,
                "levels": a.levels,
                "priorities": a.priorities,
            }
            for a in assessments(session, org, subject.id)
        ],
        "feedback": [
            {
                "activity": f.activity,
                "event": f.event,
                "rating": f.rating,
                "at": f.at.isoformat(),
                "statement_id": f.statement_id,
            }
            for f in feedback(session, org, subject.id)
        ],
    }


def erase(session: Session, org: str, subject: Subject, actor: str) -> dict[str, int]:
    """Delete the subject and everything held on them, in the caller's transaction.

    Rows are deleted explicitly rather than left to ON DELETE CASCADE, so erasure does not
    depend on the database enforcing foreign keys. The audit event says that a subject was
    erased and how much, never which one.
    """
    counts = {
        "assessments": _delete(session, Assessment, org, subject.id),
        "feedback": _delete(session, Feedback, org, subject.id),
        "sign_in_keys": _revoke_sign_in(session, org, subject.id),
    }
    session.delete(subject)
    audit.record(session, org, actor, "erase", "subject", counts)
    return counts


def _delete(session: Session, table: type[Assessment] | type[Feedback], org: str, pid: str) -> int:
    matching = select(func.count()).where(table.org == org, table.subject == pid)
    count = session.scalar(matching) or 0
    session.execute(delete(table).where(table.org == org, table.subject == pid))
    return count


def _revoke_sign_in(session: Session, org: str, pid: str) -> int:
    """Revoke the person's own sign-in keys, forget whose they were, and end their sessions."""
    owned = select(ApiKey.id).where(ApiKey.org == org, ApiKey.subject == pid)
    key_ids = list(session.scalars(owned))
    if key_ids:
        session.execute(delete(WebSession).where(WebSession.key_id.in_(key_ids)))
        session.execute(
            update(ApiKey)
            .where(ApiKey.id.in_(key_ids))
            .values(subject=None, revoked_at=func.coalesce(ApiKey.revoked_at, utcnow()))
        )
    return len(key_ids)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the 31st becomes the month's
    last day when the month is shorter)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class Purged:
    assessments: Counter[str]
    feedback: Counter[str]
    subjects: Counter[str]


def purge(session: Session, cutoff: datetime, *, actor: str = "cli") -> Purged:
    """Delete assessments and feedback recorded before `cutoff`, then subjects with nothing
    left; one audit event per organisation with the counts. The caller commits (or not)."""
    old_assessments = _by_org(session, Assessment.org, Assessment.assessed_at < cutoff)
    old_feedback = _by_org(session, Feedback.org, Feedback.at < cutoff)
    session.execute(delete(Assessment).where(Assessment.assessed_at < cutoff))
    session.execute(delete(Feedback).where(Feedback.at < cutoff))
    empty = select(Subject.org, Subject.id).where(
        ~exists().where(Assessment.org == Subject.org, Assessment.subject == Subject.id),
        ~exists().where(Feedback.org == Subject.org, Feedback.subject == Subject.id),
    )
    leftover = session.execute(empty).all()
    emptied: Counter[str] = Counter(org for org, _ in leftover)
    for org, pid in leftover:
        session.execute(delete(Subject).where(Subject.org == org, Subject.id == pid))
    for org in sorted(set(old_assessments) | set(old_feedback) | set(emptied)):
        audit.record(
            session,
            org,
            actor,
            "purge",
            "subjects",
            {
                "before": cutoff.isoformat(),
                "assessments": old_assessments[org],
                "feedback": old_feedback[org],
                "subjects": emptied[org],
            },
        )
    return Purged(old_assessments, old_feedback, emptied)


def _by_org(session: Session, org_column: Any, condition: Any) -> Counter[str]:
    query = select(org_column, func.count()).where(condition).group_by(org_column)
    return Counter({org: count for org, count in session.execute(query)})
