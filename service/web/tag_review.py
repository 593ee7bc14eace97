"""Reviewing the tags the tagger suggests for an activity: accept, reject or leave each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from recommender.activities import Tag
from recommender.errors import InvalidInput
from recommender.frameworks import Framework
from service import store
from service.curation import etag, own_row
from service.deps import PoolDep, SessionDep
from service.models import ActivityRow
from service.problems import PreconditionFailed
from service.rankers import Snapshot
from service.routes.activities import suggestions
from service.web.auth import CuratorDep, FormDep, Visitor
from service.web.coordinator import EditorDep, activity_path, choice, done_url, notice_for
from service.web.templating import render

router = APIRouter()

REVIEW = ("accept", "reject", "leave")


def _tag_rows(tags: Sequence[Tag], frameworks: Mapping[str, Framework]) -> list[dict[str, str]]:
    """Tags with their strand's title and level's label, as people know them."""
    rows = []
    for tag in tags:
        fw = frameworks.get(tag.framework)
        known = fw is not None and fw.has_strand(tag.strand) and fw.has_level(tag.level)
        rows.append(
            {
                "tag": str(tag),
                "framework": fw.title if fw else tag.framework,
                "strand": f"{tag.strand} {fw.strand(tag.strand).title}"
                if known and fw
                else tag.strand,
                "level": fw.level_label(tag.level) if known and fw else tag.level,
            }
        )
    return rows


def _tags_page(
    request: Request,
    visitor: Visitor,
    row: ActivityRow,
    snapshot: Snapshot,
    *,
    status: int = 200,
    chosen: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    scored = suggestions(row, snapshot)
    rows = _tag_rows([t.tag for t in scored], snapshot.frameworks)
    for row_, scored_tag in zip(rows, scored, strict=True):
        row_["confidence"] = f"{scored_tag.confidence:.0%}"
        row_["choice"] = (chosen or {}).get(row_["tag"], "leave")
    return render(
        request,
        "coordinator/tags.html",
        visitor,
        status=status,
        nav="catalogue",
        row=row,
        version=etag(row),
        given=_tag_rows(store.to_activity(row).tags, snapshot.frameworks),
        suggestions=rows,
        edit_link=activity_path(row.id),
        **context,
    )


@router.get("/catalogue/{activity_id}/tags", response_class=HTMLResponse)
def review_tags_page(
    request: Request,
    activity_id: str,
    session: SessionDep,
    visitor: CuratorDep,
    pool: PoolDep,
    notice: str = "",
) -> HTMLResponse:
    row = own_row(session, store.organisation(session, visitor.principal.org), activity_id)
    return _tags_page(
        request,
        visitor,
        row,
        pool.get(visitor.principal.org),
        notice=notice_for(session, visitor, notice, row.id),
    )


@router.post("/catalogue/{activity_id}/tags", response_model=None)
def review_tags(
    request: Request, activity_id: str, visitor: CuratorDep, edit: EditorDep, form: FormDep
) -> Response:
    """Accept or reject suggestions through the API's review, version-checked likewise."""
    chosen: dict[str, str] = {}
    for name, value in form.multi_items():
        if name.startswith("review.") and isinstance(value, str):
            tag = name.removeprefix("review.")
            try:
                Tag.parse(tag)
            except ValueError as exc:
                raise InvalidInput.single("review", str(exc)) from None
            chosen[tag] = choice(name, value, REVIEW)
    accept = [Tag.parse(t) for t, c in chosen.items() if c == "accept"]
    reject = [Tag.parse(t) for t, c in chosen.items() if c == "reject"]
    version = str(form.get("version", "")) or None
    try:
        edit.review_tags(activity_id, accept, reject, version)
    except PreconditionFailed:
        return _tags_page(
            request,
            visitor,
            own_row(edit.session, edit.org, activity_id),
            edit.snapshot,
            status=409,
            chosen=chosen,
            conflict="Someone else saved this activity since you opened it, so your review "
            "is not saved. Here are its current tags and suggestions with your choices kept: "
            "check them and save again.",
        )
    edit.commit()
    return RedirectResponse(done_url("reviewed", activity_id, "tags"), status_code=303)
