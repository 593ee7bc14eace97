"""Rendering pages: one Jinja2 environment, the filters templates share, safe headers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from service.web.auth import CSRF_FIELD, Visitor

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

SECURITY_HEADERS = {
    # Nothing but our own files: no inline script or style, no framing, forms post home.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages hold personal data: never cached
}


def _date(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def _hours(value: float | None) -> str:
    if value is None:
        return "time not given"
    return f"{value:g} hour" + ("" if value == 1 else "s")


def _cost(value: float | None) -> str:
    if value is None:
        return "cost not given"
    return "free" if value == 0 else f"£{value:,.2f}".replace(".00", "")


TEMPLATES.env.filters.update(date=_date, hours=_hours, cost=_cost)


def render(
    request: Request,
    template: str,
    visitor: Visitor | None,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {"visitor": visitor, "csrf_field": CSRF_FIELD, **context},
        status_code=status,
    )
    response.headers.update(SECURITY_HEADERS)
    return response
