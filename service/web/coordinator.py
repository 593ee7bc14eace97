"""The CPD coordinator's catalogue pages: search and page through it, add, edit, archive and
restore activities.

Each page calls the same functions as the API (listing, curation), so a page and the API cannot
disagree. Edit forms carry the version they were loaded at: when a colleague saved first, the
coordinator sees what differs and chooses, instead of overwriting without knowing. Import, tag
review and the heatmaps have modules of their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, cast, get_args
from urllib.parse import quote, urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from recommender.activities import FORMATS, Activity, Format, Tag
from recommender.errors import InvalidInput, Problem
from recommender.frameworks import Framework
from service import audit, store
from service.curation import check_if_match, etag, own_row, validate
from service.deps import PoolDep, SessionDep
from service.models import ActivityRow
from service.problems import Conflict, PreconditionFailed
from service.routes.activities import Editor, make_editor
from service.routes.activities import list_activities as find_activities
from service.web.auth import CuratorDep, FormDep, Visitor
from service.web.templating import render

router = APIRouter()

PAGE_SIZE = 25
HISTORY = 20
"""Changes shown under an activity's form, newest first (all of them: `GET /v1/audit`)."""
State = Literal["active", "archived", "all"]
Owner = Literal["own", "shared"]
STATES: tuple[State, ...] = get_args(State)
OWNERS: tuple[Owner, ...] = get_args(Owner)
FIELDS = ("id", "title", "description", "format", "duration_hours", "cost", "provider", "url")
LABELS = {
    "id": "Id",
    "title": "Title",
    "description": "Description",
    "format": "Format",
    "duration_hours": "Duration in hours",
    "cost": "Cost in pounds",
    "provider": "Provider",
    "url": "Web address",
    "tags": "Tags",
}
BLANK = {
    "id": "Enter an id",
    "title": "Enter a title",
    "description": "Enter a description",
    "format": "Choose a format",
}
TAG_SEPARATORS = re.compile(r"[\s|,]+")
"""Tags in the form: spaces or new lines between them, or `|` as in a catalogue CSV cell."""
NOTICES = {
    "created": "Added “{title}” to your catalogue.",
    "saved": "Saved “{title}”.",
    "archived": "Archived “{title}”: it is no longer recommended. You can restore it below.",
    "restored": "Restored “{title}”: it can be recommended again.",
    "reviewed": "Saved your review of the suggested tags for “{title}”.",
}
CONFLICT = (
    "Someone else saved this activity since you opened it. Your changes are not saved yet. "
    "Compare the versions below, then save yours to replace theirs, or discard yours."
)


def get_editor(
    session: SessionDep,
    visitor: CuratorDep,
    pool: PoolDep,
    response: Response,
    background: BackgroundTasks,
) -> Editor:
    """The API's editor, acting for the signed-in coordinator (their key is the audit actor)."""
    return make_editor(
        session, visitor.principal, pool.get(visitor.principal.org), pool, response, background
    )


EditorDep = Annotated[Editor, Depends(get_editor)]


def activity_path(activity_id: str, page: str = "edit") -> str:
    return f"/catalogue/{quote(activity_id, safe='')}/{page}"


def notice_for(session: Session, visitor: Visitor, notice: str, activity_id: str) -> str:
    """A fixed message naming the activity, so a link cannot make the page say anything."""
    if notice not in NOTICES or not activity_id:
        return ""
    org = store.organisation(session, visitor.principal.org)
    rows = store.own_activity_rows(session, org.id, [activity_id])
    return NOTICES[notice].format(title=rows[activity_id].title) if rows else ""


def choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value and value not in allowed:
        raise InvalidInput.single(name, f"choose one of {', '.join(allowed)}")
    return value


@router.get("/catalogue", response_class=HTMLResponse)
def catalogue(
    request: Request,
    session: SessionDep,
    visitor: CuratorDep,
    pool: PoolDep,
    q: Annotated[str, Query(max_length=200)] = "",
    format: str = "",
    state: str = "active",
    owner: str = "",
    untagged: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    notice: str = "",
    activity: str = "",
    created: int = 0,
    updated: int = 0,
) -> HTMLResponse:
    """The catalogue, searched, filtered and paged exactly as `GET /v1/activities` does."""
    found = find_activities(
        session,
        visitor.principal,
        pool.get(visitor.principal.org),
        framework=None,
        strand=None,
        level=None,
        format=cast("Format | None", choice("format", format, FORMATS) or None),
        q=q or None,
        state=cast("State", choice("state", state, STATES) or "active"),
        owner=cast("Owner | None", choice("owner", owner, OWNERS) or None),
        untagged=untagged,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    filters = {"q": q, "format": format, "state": state, "owner": owner}
    kept = {k: v for k, v in filters.items() if v and not (k == "state" and v == "active")}
    if untagged:
        kept["untagged"] = "1"
    message = notice_for(session, visitor, notice, activity)
    if notice == "imported":
        message = f"Imported your file: {created} added, {updated} updated."
    last = max((found.total - 1) // PAGE_SIZE + 1, 1)
    return render(
        request,
        "coordinator/catalogue.html",
        visitor,
        nav="catalogue",
        items=found.items,
        total=found.total,
        first=found.offset + 1,
        shown_to=found.offset + len(found.items),
        page=page,
        last=last,
        previous=_page_link(kept, page - 1) if page > 1 else "",
        next=_page_link(kept, page + 1) if page < last else "",
        first_page=_page_link(kept, 1),
        filters=filters,
        untagged=untagged,
        filtered=bool(kept),
        formats=FORMATS,
        org=visitor.principal.org,
        notice=message,
    )


def _page_link(filters: Mapping[str, str], page: int) -> str:
    return "/catalogue?" + urlencode({**filters, **({"page": str(page)} if page > 1 else {})})


def _form_values(row: ActivityRow) -> dict[str, str]:
    """An activity as the form shows it; tags one per line."""
    activity = store.to_activity(row)
    values = {name: str(getattr(activity, name) or "") for name in FIELDS}
    for name in ("duration_hours", "cost"):
        number = getattr(activity, name)
        values[name] = "" if number is None else f"{number:g}"
    values["tags"] = "\n".join(str(tag) for tag in activity.tags)
    return values


def _posted(form: FormData, activity_id: str | None) -> dict[str, str]:
    values = {name: str(form.get(name, "")) for name in (*FIELDS, "tags")}
    if activity_id is not None:  # editing: the id is the one in the path
        values["id"] = activity_id
    return values


def _parse(
    values: Mapping[str, str], frameworks: Sequence[Framework]
) -> tuple[Activity | None, dict[str, str]]:
    """The activity the form describes, or a message per input, validated as the API does."""
    problems: list[Problem] = []
    tags: list[Tag] = []
    for part in filter(None, TAG_SEPARATORS.split(values["tags"])):
        try:
            tags.append(Tag.parse(part))
        except ValueError as exc:
            problems.append(Problem("tags", str(exc)))
    data: dict[str, Any] = {name: values[name] for name in FIELDS}
    for name in ("duration_hours", "cost"):
        data[name] = values[name].strip() or None
    data["tags"] = list(dict.fromkeys(tags))
    activity = None
    try:
        activity = validate(data, frameworks)
    except InvalidInput as exc:
        problems += exc.problems
    errors: dict[str, str] = {}
    for problem in problems:
        name = problem.field.split(".", 1)[0].split("[", 1)[0]
        message = problem.message
        if name in BLANK and not values.get(name, "").strip():
            message = BLANK[name]
        elif message.startswith("Input should be a valid number"):
            message = "Enter a number, like 2 or 1.5, or leave it empty"
        errors.setdefault(name if name in LABELS else "id", message)
    return (None if errors else activity), errors


def _form_page(
    request: Request,
    visitor: Visitor,
    *,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    row: ActivityRow | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    return render(
        request,
        "coordinator/activity_form.html",
        visitor,
        status=status,
        nav="catalogue",
        values=values,
        errors=errors or {},
        row=row,
        version=etag(row) if row is not None else "",
        formats=FORMATS,
        labels=LABELS,
        order=(*FIELDS, "tags"),
        action=activity_path(row.id) if row is not None else "/catalogue/new",
        **context,
    )


@router.get("/catalogue/new", response_class=HTMLResponse)
def new_activity(
    request: Request, session: SessionDep, visitor: CuratorDep, copy: str = ""
) -> HTMLResponse:
    """An empty form, or one filled from a shared activity to make the organisation's own."""
    values = dict.fromkeys((*FIELDS, "tags"), "")
    if copy:
        org = store.organisation(session, visitor.principal.org)
        values = _form_values(store.activity_row(session, org, copy))
    return _form_page(request, visitor, values=values, copied=copy)


@router.post("/catalogue/new", response_model=None)
def create_activity(
    request: Request, visitor: CuratorDep, edit: EditorDep, form: FormDep
) -> Response:
    values = _posted(form, None)
    activity, errors = _parse(values, store.frameworks(edit.session, edit.org))
    if activity is not None:
        try:
            row = edit.change.create(activity)
        except Conflict:
            errors = {"id": "You already have an activity with this id: choose another"}
        else:
            edit.commit()
            return RedirectResponse(done_url("created", row.id), status_code=303)
    return _form_page(request, visitor, values=values, errors=errors, status=422)


def done_url(notice: str, activity_id: str, page: str = "") -> str:
    target = activity_path(activity_id, page) if page else "/catalogue"
    return f"{target}?{urlencode({'notice': notice, 'activity': activity_id})}"


@router.get("/catalogue/{activity_id}/edit", response_class=HTMLResponse)
def edit_activity(
    request: Request,
    activity_id: str,
    session: SessionDep,
    visitor: CuratorDep,
    notice: str = "",
) -> HTMLResponse:
    row = own_row(session, store.organisation(session, visitor.principal.org), activity_id)
    return _form_page(
        request,
        visitor,
        values=_form_values(row),
        row=row,
        notice=notice_for(session, visitor, notice, row.id),
        history=audit.events(session, row.owner, entity=f"activity:{row.id}", limit=HISTORY),
    )


@router.post("/catalogue/{activity_id}/edit", response_model=None)
def save_activity(
    request: Request, activity_id: str, visitor: CuratorDep, edit: EditorDep, form: FormDep
) -> Response:
    """Save, unless a colleague saved first: then show both versions and let them choose."""
    row = own_row(edit.session, edit.org, activity_id)
    values = _posted(form, row.id)
    activity, errors = _parse(values, store.frameworks(edit.session, edit.org))
    try:
        check_if_match(row, str(form.get("version", "")) or None)
    except PreconditionFailed:
        theirs = _form_values(row)
        return _form_page(
            request,
            visitor,
            values=values,
            errors=errors,
            row=row,
            status=409,
            conflict=CONFLICT,
            differences=_differences(theirs, values),
        )
    if activity is None:
        return _form_page(request, visitor, values=values, errors=errors, row=row, status=422)
    edit.change.replace(row, activity)
    edit.commit()
    return RedirectResponse(done_url("saved", row.id), status_code=303)


def _differences(theirs: Mapping[str, str], mine: Mapping[str, str]) -> list[dict[str, str]]:
    """The fields where the saved version and the user's differ, ignoring mere spelling of
    numbers, line endings and the order of tags."""

    def same(name: str) -> bool:
        a, b = theirs[name].strip(), mine[name].strip()
        if name == "tags":
            return set(TAG_SEPARATORS.split(a)) == set(TAG_SEPARATORS.split(b))
        if name in ("duration_hours", "cost"):
            try:
                return (float(a) if a else None) == (float(b) if b else None)
            except ValueError:
                return False
        return a.replace("\r\n", "\n") == b.replace("\r\n", "\n")

    return [
        {"name": name, "label": LABELS[name], "theirs": theirs[name], "mine": mine[name]}
        for name in (*FIELDS, "tags")
        if not same(name)
    ]


@router.post("/catalogue/{activity_id}/archive", response_model=None)
def archive_activity(
    request: Request, activity_id: str, visitor: CuratorDep, edit: EditorDep, form: FormDep
) -> Response:
    return _set_archived(request, visitor, edit, form, activity_id, True)


@router.post("/catalogue/{activity_id}/restore", response_model=None)
def restore_activity(
    request: Request, activity_id: str, visitor: CuratorDep, edit: EditorDep, form: FormDep
) -> Response:
    return _set_archived(request, visitor, edit, form, activity_id, False)


def _set_archived(
    request: Request,
    visitor: Visitor,
    edit: Editor,
    form: FormData,
    activity_id: str,
    archived: bool,
) -> Response:
    row = own_row(edit.session, edit.org, activity_id)
    try:
        check_if_match(row, str(form.get("version", "")) or None)
    except PreconditionFailed:
        what = "archived" if archived else "restored"
        return _form_page(
            request,
            visitor,
            values=_form_values(row),
            row=row,
            status=409,
            conflict=f"Someone else saved this activity since you opened it, so it was not "
            f"{what}. This is their version: check it, then press the button again.",
        )
    edit.change.set_archived(row, archived)
    edit.commit()
    return RedirectResponse(
        done_url("archived" if archived else "restored", row.id, "edit"), status_code=303
    )
