"""Changes to an organisation's catalogue: validated, version-checked, audited, all or nothing.

Callers pass the session; these functions add to its transaction and the route commits, so a
change, its audit event and the catalogue version bump land together or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import ValidationError
from sqlalchemy.orm import Session

from recommender.activities import Activity, Tag, check_tags
from recommender.errors import InvalidInput, Problem
from recommender.frameworks import Framework
from recommender.validation import problems_from_pydantic
from service import audit, store
from service.models import ActivityRow, Organisation
from service.problems import Conflict, Forbidden, PreconditionFailed, PreconditionRequired

Outcome = Literal["created", "updated", "unchanged"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
FIELDS = ("title", "description", "format", "duration_hours", "cost", "provider", "url", "tags")


def etag(row: ActivityRow) -> str:
    return f'"{row.owner}-{row.version}"'


def check_if_match(row: ActivityRow, if_match: str | None) -> None:
    """Refuse a write unless the client proves it saw the current version (RFC 9110 §13.1.1)."""
    if if_match is None:
        raise PreconditionRequired(
            f"send If-Match: {etag(row)} (the ETag of your last read) to change {row.id!r}"
        )
    offered = {part.strip() for part in if_match.split(",")}
    if "*" not in offered and etag(row) not in offered:
        raise PreconditionFailed(
            f"activity {row.id!r} changed since you read it (now {etag(row)}); "
            "read it again and reapply your change"
        )


def validate(data: Mapping[str, Any], frameworks: Sequence[Framework]) -> Activity:
    """An activity from a request body; tags must name frameworks the organisation has."""
    try:
        activity = Activity.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(problems_from_pydantic(exc)) from None
    known = {f.id: f for f in frameworks}
    problems = [
        Problem(f"tags[{i}].framework", f"unknown framework {tag.framework!r}")
        for i, tag in enumerate(activity.tags)
        if tag.framework not in known
    ]
    problems += [Problem("tags", message) for message in check_tags(activity.tags, known)]
    if problems:
        raise InvalidInput(problems)
    return activity


def add_framework(session: Session, org: Organisation, framework: Framework, actor: str) -> None:
    """Add a framework the organisation (and, for `shared`, everyone) can assess against."""
    if store.framework_row(session, org, framework.id) is not None:
        raise Conflict(f"framework {framework.id!r} exists; frameworks cannot be replaced yet")
    store.add_framework(session, org.id, framework)
    audit.record(
        session,
        org.id,
        actor,
        "framework.create",
        f"framework:{framework.id}",
        {"strands": {"to": [s.id for s in framework.strands]}},
    )


def fields(row: ActivityRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIELDS}


def own_row(session: Session, org: Organisation, activity_id: str) -> ActivityRow:
    """The organisation's own activity; a shared one is visible but not theirs to change."""
    row = store.activity_row(session, org, activity_id)
    if row.owner != org.id:
        raise Forbidden(
            f"activity {activity_id!r} belongs to the {row.owner!r} catalogue; "
            "create your own activity with the same id to replace it for your organisation"
        )
    return row


@dataclass
class Change:
    """One request's or command's changes to an organisation's catalogue (one transaction)."""

    session: Session
    org: Organisation
    actor: str
    _version_bumped: bool = False

    def create(self, activity: Activity) -> ActivityRow:
        if activity.id in store.own_activity_rows(self.session, self.org.id, [activity.id]):
            raise Conflict(f"activity {activity.id!r} exists; replace it with PUT")
        return self._insert(activity)

    def replace(self, row: ActivityRow, activity: Activity) -> ActivityRow:
        if activity.id != row.id:
            raise InvalidInput.single("id", f"must be {row.id!r}, the id in the path")
        self._apply(row, activity, "activity.update")
        return row

    def set_archived(self, row: ActivityRow, archived: bool) -> ActivityRow:
        if row.archived != archived:
            row.archived = archived
            self._touch(
                row,
                "activity.archive" if archived else "activity.restore",
                {"archived": {"from": not archived, "to": archived}},
            )
        return row

    def review_tags(
        self, row: ActivityRow, accept: Sequence[Tag], reject: Sequence[Tag]
    ) -> ActivityRow:
        tags = [Tag.model_validate(t) for t in row.tags]
        accepted = [t for t in accept if t not in tags]
        rejected = [str(t) for t in reject if str(t) not in row.rejected_tags]
        if accepted or rejected:
            before = fields(row)
            row.tags = [t.model_dump() for t in (*tags, *accepted)]
            row.rejected_tags = [*row.rejected_tags, *rejected]
            changes = audit.diff(before, fields(row))
            if rejected:
                changes["rejected_tags"] = {"added": rejected}
            self._touch(row, "activity.tags-reviewed", changes)
        return row

    def import_all(self, activities: Sequence[Activity]) -> dict[str, int]:
        """Upsert by id; how many were created, updated and left unchanged."""
        counts: dict[str, int] = {outcome: 0 for outcome in OUTCOMES}
        for outcome in self.upsert(activities).values():
            counts[outcome] += 1
        return counts

    def upsert(self, activities: Sequence[Activity]) -> dict[str, Outcome]:
        """Upsert by id; what happened to each id, so a dry run can say it row by row.

        Unchanged activities stay untouched (and keep their ETag). Ids must be unique, as
        catalogue files guarantee.
        """
        existing = store.own_activity_rows(self.session, self.org.id, [a.id for a in activities])
        outcomes: dict[str, Outcome] = {}
        for activity in activities:
            row = existing.get(activity.id)
            if row is None:
                self._insert(activity)  # `existing` already showed it is new
                outcomes[activity.id] = "created"
            elif self._apply(row, activity, "activity.import", restore=True):
                outcomes[activity.id] = "updated"
            else:
                outcomes[activity.id] = "unchanged"
        return outcomes

    def _insert(self, activity: Activity) -> ActivityRow:
        row = ActivityRow(owner=self.org.id, id=activity.id, updated_by=self.actor)
        self._apply(row, activity, "activity.create")
        self.session.add(row)
        return row

    def _apply(
        self, row: ActivityRow, activity: Activity, action: str, restore: bool = False
    ) -> bool:
        before = fields(row) if row.version else {}
        after = activity.model_dump(mode="json", include=set(FIELDS))
        changes = audit.diff(before, after)
        if restore and row.archived:
            changes["archived"] = {"from": True, "to": False}
        if not changes:
            return False
        for name, value in after.items():
            setattr(row, name, value)
        row.archived = False
        self._touch(row, action, changes)
        return True

    def _touch(self, row: ActivityRow, action: str, changes: Mapping[str, Any]) -> None:
        row.version = (row.version or 0) + 1
        row.updated_by = self.actor
        audit.record(self.session, self.org.id, self.actor, action, f"activity:{row.id}", changes)
        if not self._version_bumped:  # once per transaction: a 10k-row import is one change
            store.bump_version(self.session, self.org.id)
            self._version_bumped = True
