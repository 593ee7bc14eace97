"""FastAPI dependencies: settings, database session, caller (API key) and their ranker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from service import accounts, keys
from service.keys import Scope
from service.models import LOCAL
from service.problems import Forbidden, Unauthorized
from service.rankers import RankerPool, Snapshot
from service.settings import Settings


@dataclass
class Access:
    """How callers are authenticated; `open` ends for good once a key exists."""

    secret: bytes
    open: bool


@dataclass(frozen=True)
class Principal:
    """Who is calling: their organisation, what the audit log calls them, what they may do."""

    org: str
    actor: str
    scopes: tuple[str, ...]

    def require(self, scope: Scope) -> None:
        if not keys.grants(self.scopes, scope):
            raise Forbidden(f"this key lacks the {scope!r} scope")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; routes that write commit before they answer."""
    with Session(request.state.engine) as session:
        yield session


def get_pool(request: Request) -> RankerPool:
    pool: RankerPool = request.state.pool
    return pool


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
PoolDep = Annotated[RankerPool, Depends(get_pool)]

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key from `cpdrec keys create`, as `Authorization: Bearer cpd_...`",
)


def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    access: Access = request.state.access
    if credentials is None:
        if access.open and not accounts.any_key_exists(session):
            return Principal(LOCAL, "open-access", keys.SCOPES)
        access.open = False
        raise Unauthorized("send an API key as `Authorization: Bearer <key>`")
    key = accounts.authenticate(session, credentials.credentials, access.secret)
    if key is None:
        raise Unauthorized("the API key is unknown, revoked or expired")
    return Principal(key.org, f"key:{key.id}", tuple(key.scopes))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def scoped(scope: Scope) -> Callable[[Principal], Principal]:
    """A dependency granting access only to callers with `scope` (or `admin`)."""

    def check(principal: PrincipalDep) -> Principal:
        principal.require(scope)
        return principal

    return check


Recommender = Annotated[Principal, Depends(scoped("recommend"))]
Curator = Annotated[Principal, Depends(scoped("catalogue:write"))]
Admin = Annotated[Principal, Depends(scoped("admin"))]


def get_snapshot(principal: PrincipalDep, pool: PoolDep) -> Snapshot:
    return pool.get(principal.org)


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
