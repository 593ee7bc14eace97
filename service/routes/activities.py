"""/v1/activities: the catalogue, read by anyone with a key, curated with `catalogue:write`.

Reads come from the database, so a coordinator sees their own change at once; inferred tags
come from the organisation's current ranker. Writes need `If-Match` with the ETag of the last
read: two coordinators editing one activity get a 412 instead of silently overwriting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Header, Query, Response, status
from sqlalchemy.orm import Session

from recommender.activities import Activity, Format, Tag
from recommender.tagging import ScoredTag
from service import store
from service.curation import Change, check_if_match, etag, own_row, validate
from service.deps import Curator, PoolDep, Principal, PrincipalDep, SessionDep, SnapshotDep
from service.models import ActivityRow, Organisation
from service.problems import (
    ERROR_RESPONSES,
    Conflict,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    responses,
)
from service.rankers import RankerPool, Snapshot
from service.schemas import ActivityOut, ActivityPage, ActivityTag, TagReview, TagSuggestions

router = APIRouter(tags=["activities"])

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description="The ETag from your last read of this activity"),
]
WRITE_ERRORS = {
    **ERROR_RESPONSES,
    **responses(NotFound, PreconditionFailed, PreconditionRequired),
}


def tags_of(rows: Sequence[ActivityRow], snapshot: Snapshot) -> list[list[ScoredTag]]:
    """Given tags; for untagged activities the ranker's inferred ones (inferred afresh when the
    activity changed after the ranker was fitted)."""
    activities = [store.to_activity(row) for row in rows]
    out: list[list[ScoredTag]] = []
    stale: list[int] = []
    for i, activity in enumerate(activities):
        if activity.tags:
            out.append([ScoredTag(tag, 1.0, inferred=False) for tag in activity.tags])
        elif snapshot.activities.get(activity.id) == activity:
            out.append(snapshot.ranker.tags_for(activity))
        else:
            out.append([])
            stale.append(i)
    if stale:
        predicted = snapshot.tagger.predict([activities[i] for i in stale])
        for i, tags in zip(stale, predicted, strict=True):
            out[i] = tags
    return out


def activity_out(row: ActivityRow, tags: Sequence[ScoredTag]) -> ActivityOut:
    return ActivityOut(
        id=row.id,
        title=row.title,
        description=row.description,
        format=row.format,  # type: ignore[arg-type]  # validated on the way in
        duration_hours=row.duration_hours,
        cost=row.cost,
        provider=row.provider,
        url=row.url,
        tags=[ActivityTag.model_validate(t.to_dict()) for t in tags],
        owner=row.owner,
        archived=row.archived,
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _one(row: ActivityRow, snapshot: Snapshot, response: Response) -> ActivityOut:
    response.headers["ETag"] = etag(row)
    return activity_out(row, tags_of([row], snapshot)[0])


@dataclass(frozen=True)
class Editor:
    """A coordinator's write to their organisation's catalogue, from checks to commit."""

    session: Session
    org: Organisation
    change: Change
    snapshot: Snapshot
    response: Response
    after_commit: Callable[[], None]

    def own(self, activity_id: str, if_match: str | None) -> ActivityRow:
        """Their own activity, provided they saw its current version."""
        row = own_row(self.session, self.org, activity_id)
        check_if_match(row, if_match)
        return row

    def validate(self, data: dict[str, Any]) -> Activity:
        return validate(data, store.frameworks(self.session, self.org))

    def review_tags(
        self, activity_id: str, accept: Sequence[Tag], reject: Sequence[Tag], if_match: str | None
    ) -> ActivityRow:
        """Accepted suggestions become given tags (if valid); rejected ones never come back."""
        row = self.own(activity_id, if_match)
        self.validate({**store.to_activity(row).model_dump(mode="json"), "tags": accept})
        return self.change.review_tags(row, accept, reject)

    def commit(self) -> None:
        self.session.commit()
        self.after_commit()

    def done(self, row: ActivityRow) -> ActivityOut:
        self.commit()
        return _one(row, self.snapshot, self.response)


def get_editor(
    session: SessionDep,
    caller: Curator,
    snapshot: SnapshotDep,
    pool: PoolDep,
    response: Response,
    background: BackgroundTasks,
) -> Editor:
    return make_editor(session, caller, snapshot, pool, response, background)


def make_editor(
    session: Session,
    caller: Principal,
    snapshot: Snapshot,
    pool: RankerPool,
    response: Response,
    background: BackgroundTasks,
) -> Editor:
    """An editor for a caller already known to hold `catalogue:write` (API key or web page)."""
    org = store.organisation(session, caller.org)
    return Editor(
        session,
        org,
        Change(session, org, caller.actor),
        snapshot,
        response,
        lambda: background.add_task(pool.refresh),  # refit after the response is sent
    )


EditorDep = Annotated[Editor, Depends(get_editor)]


@router.get("/activities", responses={**ERROR_RESPONSES, **responses()})
def list_activities(
    session: SessionDep,
    caller: PrincipalDep,
    snapshot: SnapshotDep,
    framework: Annotated[str | None, Query(description="Only activities tagged to it")] = None,
    strand: Annotated[
        str | None, Query(description="Only activities tagged to this strand")
    ] = None,
    level: Annotated[str | None, Query(description="Only activities tagged at this level")] = None,
    format: Annotated[Format | None, Query(description="Delivery format")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in title or description")
    ] = None,
    state: Annotated[
        Literal["active", "archived", "all"], Query(description="Archived activities too?")
    ] = "active",
    owner: Annotated[
        Literal["own", "shared"] | None, Query(description="Only yours, or only shared ones")
    ] = None,
    untagged: Annotated[
        bool, Query(description="Only activities without given tags (to review)")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ActivityPage:
    """Your catalogue (and the shared one if you opted in), filtered and paged."""
    org = store.organisation(session, caller.org)
    archived = {"active": False, "archived": True, "all": None}[state]
    words = q.lower().split() if q else []
    rows = [
        row
        for row in store.activity_rows(session, org, archived=archived)
        if (format is None or row.format == format)
        and (owner is None or (row.owner == org.id) == (owner == "own"))
        and (not untagged or not row.tags)
        and all(w in f"{row.title}. {row.description}".lower() for w in words)
    ]
    matches = [
        activity_out(row, tags)
        for row, tags in zip(rows, tags_of(rows, snapshot), strict=True)
        if not (framework or strand or level)
        or any(
            framework in (None, t.tag.framework)
            and strand in (None, t.tag.strand)
            and level in (None, t.tag.level)
            for t in tags
        )
    ]
    return ActivityPage(
        items=matches[offset : offset + limit], total=len(matches), limit=limit, offset=offset
    )


@router.get("/activities/{activity_id}", responses=responses(NotFound))
def get_activity(
    activity_id: str,
    session: SessionDep,
    caller: PrincipalDep,
    snapshot: SnapshotDep,
    response: Response,
) -> ActivityOut:
    """One activity (archived ones too), with its ETag for a later write."""
    org = store.organisation(session, caller.org)
    return _one(store.activity_row(session, org, activity_id), snapshot, response)


@router.post(
    "/activities",
    status_code=status.HTTP_201_CREATED,
    responses={**ERROR_RESPONSES, **responses(Conflict)},
)
def create_activity(
    body: Annotated[Activity, Body(description="An activity as in a JSON catalogue (CONTRACT §2)")],
    edit: EditorDep,
) -> ActivityOut:
    """Add an activity to your catalogue. An id already used by a shared activity makes your
    own version of it, which replaces the shared one for your organisation."""
    row = edit.change.create(edit.validate(body.model_dump(mode="json")))
    edit.response.headers["Location"] = f"/v1/activities/{quote(row.id, safe='')}"
    return edit.done(row)


@router.put("/activities/{activity_id}", responses=WRITE_ERRORS)
def replace_activity(
    activity_id: str, body: Annotated[Activity, Body()], edit: EditorDep, if_match: IfMatch = None
) -> ActivityOut:
    """Replace your activity; needs `If-Match`."""
    row = edit.own(activity_id, if_match)
    edit.change.replace(row, edit.validate(body.model_dump(mode="json")))
    return edit.done(row)


@router.patch(
    "/activities/{activity_id}",
    responses=WRITE_ERRORS,
    openapi_extra={
        "requestBody": {
            "content": {"application/merge-patch+json": {"schema": {"type": "object"}}},
            "required": True,
        }
    },
)
def patch_activity(
    activity_id: str,
    body: Annotated[
        dict[str, Any],
        Body(
            media_type="application/merge-patch+json",
            description="JSON Merge Patch (RFC 7396): the fields to change; null clears one",
        ),
    ],
    edit: EditorDep,
    if_match: IfMatch = None,
) -> ActivityOut:
    """Change some fields of your activity; needs `If-Match`."""
    row = edit.own(activity_id, if_match)
    current = store.to_activity(row).model_dump(mode="json")
    edit.change.replace(row, edit.validate({**current, **body, "id": body.get("id", row.id)}))
    return edit.done(row)


@router.post("/activities/{activity_id}/archive", responses=WRITE_ERRORS)
def archive_activity(activity_id: str, edit: EditorDep, if_match: IfMatch = None) -> ActivityOut:
    """Withdraw an activity from recommendations, keeping it and its history; needs `If-Match`.

    There is no hard delete: curated work is never lost by one click."""
    return edit.done(edit.change.set_archived(edit.own(activity_id, if_match), True))


@router.post("/activities/{activity_id}/restore", responses=WRITE_ERRORS)
def restore_activity(activity_id: str, edit: EditorDep, if_match: IfMatch = None) -> ActivityOut:
    """Bring an archived activity back; needs `If-Match`."""
    return edit.done(edit.change.set_archived(edit.own(activity_id, if_match), False))


@router.get("/activities/{activity_id}/tag-suggestions", responses=responses(NotFound))
def tag_suggestions(
    activity_id: str,
    session: SessionDep,
    caller: Curator,
    snapshot: SnapshotDep,
    response: Response,
) -> TagSuggestions:
    """Tags inferred from the activity's text, with calibrated confidences, for review."""
    org = store.organisation(session, caller.org)
    row = own_row(session, org, activity_id)
    response.headers["ETag"] = etag(row)
    return TagSuggestions(
        activity=row.id,
        given=list(store.to_activity(row).tags),
        suggestions=[ActivityTag.model_validate(t.to_dict()) for t in suggestions(row, snapshot)],
    )


def suggestions(row: ActivityRow, snapshot: Snapshot) -> list[ScoredTag]:
    """Tags inferred for an activity that it lacks and that nobody rejected, best first."""
    activity = store.to_activity(row)
    predicted = snapshot.tagger.predict([activity])[0]
    return [
        t for t in predicted if t.tag not in activity.tags and str(t.tag) not in row.rejected_tags
    ]


@router.post("/activities/{activity_id}/tag-suggestions/review", responses=WRITE_ERRORS)
def review_tags(
    activity_id: str, body: TagReview, edit: EditorDep, if_match: IfMatch = None
) -> ActivityOut:
    """Accept suggestions (they become given tags) or reject them; needs `If-Match`."""
    return edit.done(edit.review_tags(activity_id, body.accept, body.reject, if_match))
