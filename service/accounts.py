"""Organisations and API keys: the repository behind `cpdrec orgs|keys` and authentication."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from recommender.errors import InvalidInput
from service import audit, keys
from service.models import SHARED, ApiKey, Organisation, utcnow
from service.problems import Conflict, NotFound
from service.store import create_organisation
from service.subjects import SubjectIds

ORG_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""`last_used_at` is written at most this often, so authentication is not a write per request."""


def create_org(session: Session, org_id: str, name: str, uses_shared: bool) -> Organisation:
    if not ORG_ID.match(org_id) or len(org_id) > 64:
        raise InvalidInput.single("org", f"{org_id!r} is not a lowercase kebab-case id")
    if org_id == SHARED or session.get(Organisation, org_id) is not None:
        raise Conflict(f"organisation {org_id!r} already exists")
    org = create_organisation(session, org_id, name or org_id, uses_shared)
    session.flush()
    audit.record(session, org_id, "cli", "organisation.create", f"organisation:{org_id}", {})
    return org


def set_shared_catalogue(session: Session, org_id: str, uses_shared: bool) -> None:
    org = session.get(Organisation, org_id)
    if org is None or org_id == SHARED:
        raise NotFound("organisation", org_id)
    if org.uses_shared_catalogue != uses_shared:
        org.uses_shared_catalogue = uses_shared
        audit.record(
            session,
            org_id,
            "cli",
            "organisation.update",
            f"organisation:{org_id}",
            {"uses_shared_catalogue": {"from": not uses_shared, "to": uses_shared}},
        )


def organisations(session: Session) -> Sequence[Organisation]:
    return session.scalars(select(Organisation).order_by(Organisation.id)).all()


def create_key(
    session: Session,
    org_id: str,
    scopes: Sequence[str],
    secret: bytes,
    name: str = "",
    expires_at: datetime | None = None,
    person: str | None = None,
    *,
    actor: str = "cli",
) -> tuple[ApiKey, str]:
    """A new key and its plaintext, which is never stored and cannot be shown again.

    A `self` key is one person's sign-in: `person` is the id the organisation knows them by
    (as its LMS would send it), stored only as their pseudonym, so what they do on the web
    pages and what the LMS sends about them are one record.
    """
    if session.get(Organisation, org_id) is None:
        raise NotFound("organisation", org_id)
    unknown = [s for s in scopes if s not in keys.SCOPES]
    if unknown or not scopes:
        raise InvalidInput.single(
            "scope", f"unknown scope {unknown[0]!r}" if unknown else "at least one scope needed"
        )
    if "self" in scopes and not person:
        raise InvalidInput.single("person", "a `self` key signs in one person: name them")
    if person and "self" not in scopes:
        raise InvalidInput.single("person", "only a `self` key names a person")
    new = keys.generate(secret)
    row = ApiKey(
        id=new.id,
        org=org_id,
        name=name,
        digest=new.digest,
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        subject=SubjectIds.for_org(secret, org_id).of(person) if person else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, org_id, actor, "key.create", f"key:{new.id}", {"scopes": {"to": row.scopes}}
    )
    return row, new.plaintext


def list_keys(session: Session, org_id: str | None = None) -> Sequence[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.org, ApiKey.created_at)
    if org_id is not None:
        query = query.where(ApiKey.org == org_id)
    return session.scalars(query).all()


def revoke_key(
    session: Session, key_id: str, *, org: str | None = None, actor: str = "cli"
) -> ApiKey:
    """Revoke a key (only one of `org`'s, when given: another organisation's is not found)."""
    row = session.get(ApiKey, key_id)
    if row is None or (org is not None and row.org != org):
        raise NotFound("key", key_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, row.org, actor, "key.revoke", f"key:{key_id}", {})
    return row


def sign_in_keys(session: Session, org: str, subject: str | None = None) -> Sequence[ApiKey]:
    """An organisation's personal (`self`) keys, newest first; of one person if `subject`."""
    query = select(ApiKey).where(ApiKey.org == org, ApiKey.subject.is_not(None))
    if subject is not None:
        query = query.where(ApiKey.subject == subject)
    return session.scalars(query.order_by(ApiKey.created_at.desc())).all()


def any_key_exists(session: Session) -> bool:
    """True once a key was ever created (revoked ones count): open access then ends for good."""
    return session.scalar(select(ApiKey.id).limit(1)) is not None


def authenticate(session: Session, plaintext: str, secret: bytes) -> ApiKey | None:
    """The live key this plaintext is, else None; records when it was last used."""
    key_id = keys.key_id(plaintext)
    row = session.get(ApiKey, key_id) if key_id else None
    if row is None or not keys.matches(plaintext, row.digest, secret):
        return None
    now = utcnow()
    if row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.commit()
    return row
