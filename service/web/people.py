"""Sign-in keys for people, made and revoked by an administrator without the command line.

A personal key signs one person in as themselves (scope `self`); whoever makes one could sign
in as that person, so this page needs the `admin` scope. The page never shows who a key
belongs to: only the person's pseudonym is stored, so keys are found by the id the
organisation knows the person by, typed in again.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from recommender.errors import InvalidInput
from service import accounts
from service.deps import Access, SessionDep
from service.models import utcnow
from service.subjects import SubjectIds
from service.web.auth import AdminDep, FormDep, Visitor
from service.web.templating import render

router = APIRouter()

MAX_PERSON = 200
MAX_DAYS = 3650


def _page(
    request: Request,
    session: Session,
    visitor: Visitor,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    **context: object,
) -> HTMLResponse:
    return render(
        request,
        "coordinator/people.html",
        visitor,
        status=status,
        nav="people",
        keys=accounts.sign_in_keys(session, visitor.principal.org),
        errors=errors or {},
        now=utcnow(),
        **context,
    )


@router.get("/people", response_class=HTMLResponse)
def people(
    request: Request, session: SessionDep, visitor: AdminDep, revoked: int | None = None
) -> HTMLResponse:
    return _page(request, session, visitor, revoked=revoked)


@router.post("/people", response_class=HTMLResponse)
def give_key(
    request: Request, session: SessionDep, visitor: AdminDep, form: FormDep
) -> HTMLResponse:
    """Make a person's key and show it this once: only its hash is kept."""
    person = str(form.get("person", "")).strip()
    days = str(form.get("expires_days", "")).strip()
    errors: dict[str, str] = {}
    if not person or len(person) > MAX_PERSON:
        errors["person"] = f"Enter the id your LMS knows them by (up to {MAX_PERSON} characters)"
    if days and not (days.isdigit() and 1 <= int(days) <= MAX_DAYS):
        errors["expires_days"] = f"Enter a whole number of days from 1 to {MAX_DAYS}, or nothing"
    if errors:
        return _page(request, session, visitor, status=422, errors=errors, person=person, days=days)
    access: Access = request.state.access
    expires = utcnow() + timedelta(days=int(days)) if days else None
    row, plaintext = accounts.create_key(
        session,
        visitor.principal.org,
        ["self"],
        access.secret,
        "web sign-in",
        expires,
        person,
        actor=visitor.principal.actor,
    )
    session.commit()
    return _page(request, session, visitor, status=201, new_key=plaintext, new_id=row.id)


@router.post("/people/revoke")
def revoke_keys(
    request: Request, session: SessionDep, visitor: AdminDep, form: FormDep
) -> Response:
    """Revoke one key (by its id) or every key of one person (by their id)."""
    org = visitor.principal.org
    key_id = str(form.get("key", "")).strip()
    person = str(form.get("person", "")).strip()
    if key_id:
        ids = [accounts.revoke_key(session, key_id, org=org, actor=visitor.principal.actor).id]
    elif person:
        access: Access = request.state.access
        pseudonym = SubjectIds.for_org(access.secret, org).of(person)
        ids = [k.id for k in accounts.sign_in_keys(session, org, pseudonym)]
        for found in ids:
            accounts.revoke_key(session, found, org=org, actor=visitor.principal.actor)
    else:
        raise InvalidInput.single("person", "enter the person's id")
    session.commit()
    return RedirectResponse(f"/people?revoked={len(ids)}", status_code=303)
