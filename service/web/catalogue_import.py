"""Catalogue files from the browser: the organisation's catalogue as CSV, and importing one,
checked row by row first, then all or nothing. Exporting, editing in a spreadsheet and
importing again round-trips exactly (as the API's export and import do)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile

from recommender.activities import Activity, write_csv
from recommender.errors import InvalidInput, Problem
from service import store
from service.curation import OUTCOMES
from service.deps import SessionDep
from service.routes.catalogue import MAX_UPLOAD_BYTES, import_text
from service.web.auth import CuratorDep, FormDep, Visitor
from service.web.coordinator import EditorDep
from service.web.templating import render

router = APIRouter()


@router.get("/catalogue/export.csv")
def export_csv(session: SessionDep, visitor: CuratorDep) -> Response:
    """The organisation's own active activities, as `GET /v1/catalogue/export` gives them."""
    org = visitor.principal.org
    return Response(
        write_csv(store.own_activities(session, org)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{org}-catalogue.csv"'},
    )


@router.get("/catalogue/import", response_class=HTMLResponse)
def import_page(request: Request, visitor: CuratorDep) -> HTMLResponse:
    return _import_page(request, visitor, {})


@router.post("/catalogue/import", response_model=None)
def import_file(request: Request, visitor: CuratorDep, edit: EditorDep, form: FormDep) -> Response:
    """`check`: the row-by-row dry run of the uploaded file; `import`: the checked text, all or
    nothing. Either way it is the API's import that runs."""
    action = form.get("action")
    if action == "import":
        name = str(form.get("filename", "")) or "file"
        try:  # base64, so the browser cannot rewrite its line endings (HTML forms send CRLF)
            text = base64.b64decode(str(form.get("csv", "")), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidInput.single("csv", "the checked file did not come back intact") from None
    else:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _import_page(request, visitor, {"file": "Choose a CSV file to check"})
        data = upload.file.read(MAX_UPLOAD_BYTES + 1)
        name = upload.filename
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return _import_page(request, visitor, {"file": f"{name} is not a UTF-8 CSV file"})
    if len(text.encode()) > MAX_UPLOAD_BYTES:
        limit = MAX_UPLOAD_BYTES // 1024 // 1024
        return _import_page(request, visitor, {"file": f"The file is larger than {limit} MB"})
    org, actor = edit.org, visitor.principal.actor
    if action == "import":
        try:
            done = import_text(edit.session, org, actor, text, "text/csv", dry_run=False)
        except InvalidInput as exc:
            return _import_page(request, visitor, {}, problems=exc.problems, filename=name)
        edit.after_commit()
        counts = {o: sum(v == o for v in done.outcomes.values()) for o in ("created", "updated")}
        return RedirectResponse(
            f"/catalogue?{urlencode({'notice': 'imported', **counts})}", status_code=303
        )
    checked = import_text(edit.session, org, actor, text, "text/csv", dry_run=True, source=name)
    return _import_page(
        request,
        visitor,
        {},
        problems=checked.problems,
        rows=[(a, checked.outcomes[a.id]) for a in checked.activities],
        csv=base64.b64encode(text.encode()).decode("ascii"),
        filename=name,
    )


def _import_page(
    request: Request,
    visitor: Visitor,
    errors: Mapping[str, str],
    *,
    problems: Sequence[Problem] = (),
    rows: Sequence[tuple[Activity, str]] | None = None,
    **context: Any,
) -> HTMLResponse:
    counts = {o: sum(outcome == o for _, outcome in rows or ()) for o in OUTCOMES}
    return render(
        request,
        "coordinator/import.html",
        visitor,
        status=422 if errors or problems else 200,
        nav="catalogue",
        errors=errors,
        problems=problems,
        rows=rows,
        counts=counts,
        changes=counts["created"] + counts["updated"],
        **context,
    )
