"""POST /v1/feedback and POST /v1/xapi/statements: what subjects did with activities."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import feedback, subjects, xapi
from service.deps import SessionDep, SnapshotDep, SubjectIdsDep
from service.problems import (
    ERROR_RESPONSES,
    BadRequest,
    responses,
)
from service.schemas import FeedbackIn, FeedbackOut
from service.subjects import SubjectIds

router = APIRouter(tags=["subjects"])


@router.post("/feedback", status_code=201, responses={**ERROR_RESPONSES, **responses()})
def add_feedback(body: FeedbackIn, session: SessionDep, ids: SubjectIdsDep) -> FeedbackOut:
    """Record that a subject viewed, started, completed, rated (1–5) or dismissed an activity.

    Completed and dismissed activities are not offered to that subject again; ratings (and,
    weakly, completions) move the activity up or down for people with similar gaps.
    Needs the `subjects` scope.
    """
    feedback.check_activity(session, ids.org, body.activity)
    subject = subjects.ensure(session, ids.org, ids.of(body.subject))
    row = feedback.record(
        session, ids.org, subject.id, body.activity, body.event, rating=body.rating, at=body.at
    )
    session.commit()
    return FeedbackOut(
        id=row.id, activity=row.activity, event=body.event, rating=row.rating, at=row.at
    )


@router.post("/xapi/statements", responses={**ERROR_RESPONSES, **responses(BadRequest)})
def add_xapi_statements(
    body: Annotated[
        dict[str, Any] | list[dict[str, Any]],
        Body(description="One xAPI 1.0.3 statement, or an array of them"),
    ],
    session: SessionDep,
    ids: SubjectIdsDep,
    snapshot: SnapshotDep,
    response: Response,
    version: Annotated[str | None, Header(alias="X-Experience-API-Version")] = None,
) -> list[str]:
    """Feedback as an LRS sends it: completions, views and ratings of catalogue activities.

    Answers with the statement ids, as an LRS does. Statements about objects that are not in
    your catalogue (matched by the activity's `url`, `urn:cpdrec:activity:<id>`, or an IRI
    ending in `/activities/<id>`), or with verbs that say nothing about an activity's use,
    are accepted and ignored; a statement id already received is not stored twice. The actor
    is the subject: `account.name` should be the id you use as `subject` elsewhere. An
    `mbox` is never stored, only its SHA-1. The verb table is in the README. Needs the
    `subjects` scope.
    """
    response.headers["X-Experience-API-Version"] = xapi.XAPI_VERSION
    message = xapi.check_version(version)
    if message is not None:
        raise BadRequest(message)
    by_url = {a.url: a.id for a in snapshot.activities.values() if a.url}

    def resolve(iri: str) -> str | None:
        found = by_url.get(iri) or xapi.activity_ref(iri)
        return found if found in snapshot.activities else None

    batch = xapi.feedback_from_body(body, resolve)
    try:
        _store_statements(session, ids, batch)
    except IntegrityError:  # an LRS retried concurrently: store what the other request did not
        session.rollback()
        _store_statements(session, ids, batch)
    return list(batch.statement_ids)


def _store_statements(session: Session, ids: SubjectIds, batch: xapi.XapiBatch) -> None:
    """Store each statement's feedback once, however often the statement is sent; commits."""
    seen = feedback.known_statements(session, ids.org, [f.statement_id for f in batch.feedback])
    for item in batch.feedback:
        if item.statement_id in seen:
            continue
        subject = subjects.ensure(session, ids.org, ids.of(item.subject))
        feedback.record(
            session,
            ids.org,
            subject.id,
            item.activity,
            item.event,
            rating=item.rating,
            at=item.at,
            statement_id=item.statement_id,
        )
        seen.add(item.statement_id)
    session.commit()
