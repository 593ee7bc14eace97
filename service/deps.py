"""FastAPI dependencies: database session, caller (API key) and their ranker."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from service import accounts, keys
from service.keys import Scope
from service.models import LOCAL, ApiKey
from service.problems import Forbidden, Unauthorized
from service.rankers import RankerPool, Snapshot
from service.subjects import SubjectIds


@dataclass(frozen=True)
class Principal:
    """Who is calling: their organisation, what the audit log calls them, what they may do."""

    org: str
    actor: str
    scopes: tuple[str, ...]
    subject: str | None = None
    """The person a `self` key signs in, as their pseudonym."""

    def require(self, scope: Scope) -> None:
        if not keys.grants(self.scopes, scope):
            raise Forbidden(f"this key lacks the {scope!r} scope")


@dataclass
class Access:
    """How callers are authenticated; `open` ends for good once a key exists.

    A verified key is remembered for `ttl` seconds, so most requests need no database: a
    revoked key stops working in every process within that time.
    """

    secret: bytes
    open: bool
    ttl: float
    _verified: dict[str, tuple[Principal, float]] = field(default_factory=dict)

    def cached(self, token: str) -> Principal | None:
        hit = self._verified.get(keys.digest(token, self.secret))
        return hit[0] if hit and hit[1] > time.monotonic() else None

    def remember(self, token: str, principal: Principal) -> None:
        if len(self._verified) > 10_000:  # forget everything rather than grow without bound
            self._verified.clear()
        self._verified[keys.digest(token, self.secret)] = (principal, time.monotonic() + self.ttl)


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; routes that write commit before they answer."""
    with Session(request.state.engine) as session:
        yield session


async def get_pool(request: Request) -> RankerPool:
    pool: RankerPool = request.state.pool
    return pool


SessionDep = Annotated[Session, Depends(get_session)]
PoolDep = Annotated[RankerPool, Depends(get_pool)]

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key from `cpdrec keys create`, as `Authorization: Bearer cpd_...`",
)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from the in-process cache when possible; async, so a cached key costs no
    thread-pool hop and no database round trip."""
    access: Access = request.state.access
    engine: Engine = request.state.engine
    if credentials is None:
        if access.open and not await run_in_threadpool(_any_key_exists, engine):
            return Principal(LOCAL, "open-access", keys.SCOPES)
        access.open = False
        raise Unauthorized("send an API key as `Authorization: Bearer <key>`")
    token = credentials.credentials
    principal = access.cached(token)
    if principal is None:
        principal = await run_in_threadpool(_authenticate, engine, token, access.secret)
        if principal is None:
            raise Unauthorized("the API key is unknown, revoked or expired")
        access.remember(token, principal)
    return principal


def _any_key_exists(engine: Engine) -> bool:
    with Session(engine) as session:
        return accounts.any_key_exists(session)


def _authenticate(engine: Engine, token: str, secret: bytes) -> Principal | None:
    with Session(engine) as session:
        key = accounts.authenticate(session, token, secret)
        return principal_of(key) if key else None


def principal_of(key: ApiKey) -> Principal:
    return Principal(key.org, f"key:{key.id}", tuple(key.scopes), key.subject)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def scoped(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency granting access only to callers with `scope` (or `admin`)."""

    async def check(principal: PrincipalDep) -> Principal:
        principal.require(scope)
        return principal

    return check


Curator = Annotated[Principal, Depends(scoped("catalogue:write"))]
SubjectsAccess = Annotated[Principal, Depends(scoped("subjects"))]
Reporter = Annotated[Principal, Depends(scoped("reports"))]
Admin = Annotated[Principal, Depends(scoped("admin"))]


async def get_snapshot(principal: PrincipalDep, pool: PoolDep) -> Snapshot:
    """The caller's ranker; only an organisation's first request waits (off the event loop)."""
    return await _snapshot_of(pool, principal)


async def get_recommending_snapshot(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Snapshot:
    """`SnapshotDep` for a caller with the `recommend` scope, as one dependency rather than
    the four that `SnapshotDep` and a `scoped` check make: FastAPI spends several microseconds
    resolving each, and this runs for every recommendation. The scope is checked before an
    organisation's first request fits its ranker."""
    principal = await get_principal(request, credentials)
    principal.require("recommend")
    return await _snapshot_of(request.state.pool, principal)


async def _snapshot_of(pool: RankerPool, principal: Principal) -> Snapshot:
    snapshot = pool.current(principal.org)
    if snapshot is None:
        snapshot = await run_in_threadpool(pool.get, principal.org)
    return snapshot


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]
RecommenderSnapshot = Annotated[Snapshot, Depends(get_recommending_snapshot)]


async def get_subject_ids(request: Request, principal: SubjectsAccess) -> SubjectIds:
    """Pseudonyms for the caller's organisation; needs the `subjects` scope."""
    access: Access = request.state.access
    return SubjectIds.for_org(access.secret, principal.org)


SubjectIdsDep = Annotated[SubjectIds, Depends(get_subject_ids)]
