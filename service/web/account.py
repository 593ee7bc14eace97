"""Signing in and out, and the home page that leads each person to what their key allows."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service import accounts, store, subjects
from service.deps import Access, SessionDep
from service.settings import Settings
from service.web import auth
from service.web.auth import FormDep, VisitorDep
from service.web.templating import render

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site: a sign-in link must not send people elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, session: SessionDep, next: str = "/") -> HTMLResponse:
    """The form; on a fresh install, where no key exists yet, it says how to make one."""
    first_run = not accounts.any_key_exists(session)
    return render(request, "sign_in.html", None, next=safe_next(next), first_run=first_run)


@router.post("/sign-in")
def sign_in(
    request: Request,
    session: SessionDep,
    key: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    auth.same_origin(request)
    access: Access = request.state.access
    settings: Settings = request.state.settings
    lifetime = timedelta(hours=settings.web_session_hours)
    token = auth.start(session, key, access.secret, lifetime) if key.strip() else None
    if token is None:
        error = "Enter your key." if not key.strip() else "That key is unknown, revoked or expired."
        return render(request, "sign_in.html", None, status=401, next=safe_next(next), error=error)
    response = RedirectResponse(safe_next(next), status_code=303)
    auth.set_cookie(response, request, token, settings)
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, _form: FormDep) -> Response:
    access: Access = request.state.access
    token = request.cookies.get(auth.COOKIE)
    if token:
        auth.end(session, token, access.secret)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, visitor: VisitorDep) -> HTMLResponse:
    org = store.organisation(session, visitor.principal.org)
    frameworks = store.frameworks(session, org)
    latest = {}
    if visitor.practitioner:
        assert visitor.principal.subject is not None
        for fw in frameworks:
            row = subjects.latest(session, org.id, visitor.principal.subject, fw.id)
            if row is not None:
                latest[fw.id] = row.assessed_at
    return render(
        request, "home.html", visitor, organisation=org, frameworks=frameworks, latest=latest
    )
