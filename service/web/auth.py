"""People's sign-in to the web pages: an API key exchanged for a session cookie.

The cookie holds a random token; the database keeps only its HMAC, the key it came from and
when it expires, so a stolen database yields no usable session. Every page checks the key
too: revoking it (or erasing the person it signs in) ends its sessions at once. Each form
carries a CSRF token derived from the session token, and posts from another origin are
refused, so no other site can act as the signed-in person.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from service import accounts, keys
from service.deps import Access, Principal, SessionDep, principal_of
from service.keys import Scope
from service.models import ApiKey, WebSession, utcnow
from service.problems import Forbidden, Unauthorized
from service.settings import Settings

COOKIE = "cpdrec_session"
CSRF_FIELD = "csrf_token"


class SignInRequired(Unauthorized):
    """No live session: a web page answers with a redirect to the sign-in page."""


def start(session: Session, plaintext: str, secret: bytes, lifetime: timedelta) -> str | None:
    """A new session token for a live key, else None; forgets sessions that have expired."""
    key = accounts.authenticate(session, plaintext.strip(), secret)
    if key is None:
        return None
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(WebSession(id=keys.digest(token, secret), key_id=key.id, expires_at=now + lifetime))
    session.commit()
    return token


def resolve(session: Session, token: str, secret: bytes) -> ApiKey | None:
    """The live key behind a live session, else None."""
    now = utcnow()
    key = session.scalar(
        select(ApiKey)
        .join(WebSession, WebSession.key_id == ApiKey.id)
        .where(WebSession.id == keys.digest(token, secret), WebSession.expires_at > now)
    )
    if key is None or key.revoked_at is not None or (key.expires_at and key.expires_at <= now):
        return None
    return key


def end(session: Session, token: str, secret: bytes) -> None:
    session.execute(delete(WebSession).where(WebSession.id == keys.digest(token, secret)))
    session.commit()


def set_cookie(response: Response, request: Request, token: str, settings: Settings) -> None:
    secure = settings.secure_cookies
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(settings.web_session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" if secure is None else secure,
        path="/",
    )


def csrf_token(token: str, secret: bytes) -> str:
    return hmac.new(secret, f"cpdrec-csrf:{token}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Visitor:
    """The signed-in person: what their key lets them do, and the token their forms carry."""

    principal: Principal
    csrf: str

    def can(self, scope: Scope) -> bool:
        return keys.grants(self.principal.scopes, scope)

    @property
    def practitioner(self) -> bool:
        """Signs in one person, who can assess themselves (an admin key names nobody)."""
        return "self" in self.principal.scopes and self.principal.subject is not None


def get_visitor(request: Request, session: SessionDep) -> Visitor:
    access: Access = request.state.access
    token = request.cookies.get(COOKIE)
    key = resolve(session, token, access.secret) if token else None
    if token is None or key is None:
        raise SignInRequired("sign in to continue")
    return Visitor(principal_of(key), csrf_token(token, access.secret))


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


def same_origin(request: Request) -> None:
    """Refuse a form posted from another site (the browser says where it came from)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise Forbidden("this form was sent from another site")


async def checked_form(request: Request, visitor: VisitorDep) -> AsyncIterator[FormData]:
    """The posted form, provided it came from one of our pages in this session; uploaded
    files are closed once the page is done with them."""
    same_origin(request)
    async with request.form() as form:
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not hmac.compare_digest(sent, visitor.csrf):
            raise Forbidden("this form has expired: go back, reload the page and try again")
        yield form


FormDep = Annotated[FormData, Depends(checked_form)]


def require(visitor: Visitor, scope: Scope) -> None:
    if not visitor.can(scope):
        raise Forbidden(f"your key lacks the {scope!r} scope for this page")


def get_curator(visitor: VisitorDep) -> Visitor:
    require(visitor, "catalogue:write")
    return visitor


def get_reporter(visitor: VisitorDep) -> Visitor:
    require(visitor, "reports")
    return visitor


def get_admin(visitor: VisitorDep) -> Visitor:
    require(visitor, "admin")
    return visitor


CuratorDep = Annotated[Visitor, Depends(get_curator)]
ReporterDep = Annotated[Visitor, Depends(get_reporter)]
AdminDep = Annotated[Visitor, Depends(get_admin)]


def get_practitioner(visitor: VisitorDep) -> Visitor:
    if not visitor.practitioner:
        raise Forbidden("these pages are for a person's own sign-in key (scope `self`)")
    return visitor


PractitionerDep = Annotated[Visitor, Depends(get_practitioner)]
