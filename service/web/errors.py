"""Errors on web pages: a page a person can act on, not a JSON problem.

A missing or expired sign-in sends the browser to the sign-in page and back afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from service.problems import ProblemDetail
from service.web.templating import render

NOT_PAGES = ("/v1/", "/v1", "/healthz", "/openapi.json", "/docs", "/redoc", "/static/")


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(NOT_PAGES)


def problem_page(
    request: Request, problem: ProblemDetail, headers: Mapping[str, str] | None
) -> Response | None:
    """The problem as an HTML page for web paths; None lets the API answer in JSON."""
    if not is_page(request):
        return None
    if problem.status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?{urlencode({'next': target})}", status_code=303)
    return render(request, "error.html", None, status=problem.status, problem=problem)
