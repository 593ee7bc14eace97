"""RFC 9457 problem details: the one place errors become HTTP responses."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from recommender.errors import InvalidInput, Problem
from recommender.validation import field_path

PROBLEM_TYPE = "urn:cpdrec:problem:"
MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str
    line: int | None = Field(default=None, description="Line in an uploaded file (CSV header = 1)")
    column: int | None = None


class ProblemDetail(BaseModel):
    """RFC 9457 body; `errors` names each offending field (dotted path into the body)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] = []


class ServiceError(Exception):
    """An error a client can act on; subclasses fix the status and problem type."""

    status = 400
    kind = "bad-request"
    title = "Bad request"
    headers: ClassVar[Mapping[str, str] | None] = None


class BadRequest(ServiceError):
    """A request the API cannot read at all (e.g. an unsupported protocol version)."""


class NotFound(ServiceError):
    status, kind, title = 404, "not-found", "Not found"

    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} {ident!r} not found")


class Unauthorized(ServiceError):
    status, kind, title = 401, "unauthorized", "Missing or invalid API key"
    headers: ClassVar[Mapping[str, str] | None] = {"WWW-Authenticate": 'Bearer realm="cpdrec"'}


class Forbidden(ServiceError):
    status, kind, title = 403, "forbidden", "Forbidden"


class Conflict(ServiceError):
    status, kind, title = 409, "conflict", "Conflict"


class PreconditionFailed(ServiceError):
    status, kind, title = 412, "precondition-failed", "Someone else changed it first"


class PreconditionRequired(ServiceError):
    status, kind, title = 428, "precondition-required", "If-Match required"


PageRenderer = Callable[[Request, ProblemDetail, Mapping[str, str] | None], Response | None]
"""Renders a problem as a web page, or returns None for API requests (which get JSON)."""


def problem(
    request: Request,
    status: int,
    kind: str,
    title: str,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = ProblemDetail(
        type=PROBLEM_TYPE + kind,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors or [],
    )
    render: PageRenderer | None = getattr(request.app.state, "problem_pages", None)
    page = render(request, body, headers) if render else None
    if page is not None:
        return page
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _field_errors(problems: tuple[Problem, ...]) -> list[FieldError]:
    return [
        FieldError(field=p.field, message=p.message, line=p.line, column=p.column) for p in problems
    ]


async def _invalid_input(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidInput)
    errors = _field_errors(exc.problems)
    return problem(request, 422, "invalid-input", "Invalid input", str(exc.problems[0]), errors)


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors: list[FieldError] = []
    for error in exc.errors():
        loc: tuple[Any, ...] = tuple(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            detail = f"malformed JSON: {error.get('ctx', {}).get('error', 'cannot parse body')}"
            return problem(
                request,
                400,
                "malformed-json",
                "Malformed JSON",
                detail,
                [FieldError(field="body", message=detail)],
            )
        path = field_path(loc[1:] if loc and loc[0] in ("body", "query", "path") else loc)
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        errors.append(FieldError(field=path or "body", message=message))
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return problem(request, 422, "invalid-input", "Invalid input", detail, errors)


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return problem(request, exc.status, exc.kind, exc.title, str(exc), headers=exc.headers)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = str(exc.detail)
    kind = f"http-{exc.status_code}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem(request, exc.status_code, kind, title, title, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every documented method at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), request.url.path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


def install(app: FastAPI, pages: PageRenderer | None = None) -> None:
    app.state.problem_pages = pages
    app.add_exception_handler(InvalidInput, _invalid_input)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(HTTPException, _http)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ProblemDetail, "description": "Malformed JSON", "content": {MEDIA_TYPE: {}}},
    422: {
        "model": ProblemDetail,
        "description": "Invalid input; `errors` names each field",
        "content": {MEDIA_TYPE: {}},
    },
}


def responses(*errors: type[ServiceError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route that may raise these errors (plus 401 and 403)."""
    every: tuple[type[ServiceError], ...] = (Unauthorized, Forbidden, *errors)
    return {
        e.status: {"model": ProblemDetail, "description": e.title, "content": {MEDIA_TYPE: {}}}
        for e in every
    }


NOT_FOUND_RESPONSE = responses(NotFound)
