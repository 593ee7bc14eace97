"""The practitioner's journey: self-assess one strand per step, set targets, see suggestions
and progress, act on suggestions, and see or erase what is held on them.

The questionnaire keeps its answers in the form itself (hidden fields) until the last step,
so nothing about a person is stored before they choose to save.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from recommender.activities import FORMATS
from recommender.assessment import answers_from_statements, assess, statement_id
from recommender.errors import InvalidInput
from recommender.frameworks import Framework
from recommender.profiles import Constraints
from service import assessments, feedback, store, subjects
from service.deps import PoolDep, SessionDep
from service.feedback import BoostersDep
from service.models import Assessment, Subject, TargetPolicy, utcnow
from service.routes.recommendations import recommended_items
from service.routes.subjects import rank_for_subject
from service.web import auth
from service.web.account import safe_next
from service.web.auth import FormDep, PractitionerDep, Visitor
from service.web.charts import gap_chart, progress_chart
from service.web.templating import render

router = APIRouter()

BELOW = "|below"
"""Form value for "not yet at the first level" (no level id can contain `|`)."""
SUGGESTIONS = 10
RATINGS = (1, 2, 3, 4, 5)
ACTIONS = {
    "completed": "Marked “{title}” as done: it will not be suggested again.",
    "dismissed": "Dismissed “{title}”: it will not be suggested again.",
    "rated": "Thank you for rating “{title}”. Ratings help people with gaps like yours.",
}


def _subject(visitor: Visitor) -> str:
    assert visitor.principal.subject is not None  # a practitioner has one by definition
    return visitor.principal.subject


@dataclass
class Draft:
    """A questionnaire in progress, read back from the form's fields."""

    affirmed: list[str] = field(default_factory=list)
    chosen: dict[str, str | None] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)
    role: str | None = None

    @classmethod
    def from_form(cls, form: FormData, framework: Framework) -> Draft:
        draft = cls(affirmed=[str(v) for v in form.getlist("affirmed")])
        answers_from_statements(framework, draft.affirmed)  # unknown statement ids: 422
        for strand in framework.strands:
            level = str(form.get(f"level-{strand.id}", ""))
            if level:
                draft.chosen[strand.id] = None if level == BELOW else _level(framework, level)
            target = str(form.get(f"target-{strand.id}", ""))
            if target:
                draft.targets[strand.id] = _level(framework, target)
        draft.role = str(form.get("role", "")) or None
        return draft

    def answered(self) -> list[str]:
        """Statements affirmed on strands whose level was not chosen directly."""
        return [sid for sid in self.affirmed if _strand_of(sid) not in self.chosen]

    def currents(self, framework: Framework) -> dict[str, str | None]:
        answers = answers_from_statements(framework, self.answered())
        profile = assess(framework, answers, {}, chosen=self.chosen)
        return {s: g.current for s, g in profile.levels.items()}


def _strand_of(sid: str) -> str:
    return sid.partition("/")[0]  # as `statement_id` builds it


def _level(framework: Framework, level: str) -> str:
    if not framework.has_level(level):
        raise InvalidInput.single("level", f"unknown level {level!r}")
    return level


def _framework(session: Session, visitor: Visitor, framework_id: str) -> Framework:
    return store.framework(session, visitor.principal.org, framework_id)


@router.get("/assess/{framework_id}", response_class=HTMLResponse)
def start_assessment(
    request: Request, framework_id: str, session: SessionDep, visitor: PractitionerDep
) -> HTMLResponse:
    framework = _framework(session, visitor, framework_id)
    return _strand_step(request, visitor, framework, Draft(), 0)


@router.post("/assess/{framework_id}", response_model=None)
def assessment_step(
    request: Request,
    framework_id: str,
    session: SessionDep,
    visitor: PractitionerDep,
    form: FormDep,
) -> Response:
    framework = _framework(session, visitor, framework_id)
    draft = Draft.from_form(form, framework)
    steps = len(framework.strands)
    try:
        step = min(max(int(str(form.get("step", "0"))), 0), steps)
    except ValueError:
        raise InvalidInput.single("step", "not a step number") from None
    if draft.role is not None and draft.role not in _roles(
        assessments.policy(session, visitor.principal.org, framework.id)
    ):
        raise InvalidInput.single("role", f"your organisation has no role {draft.role!r}")
    go = form.get("go", "next")
    if go == "save":
        return _save(session, visitor, framework, draft)
    if go == "role":  # the role's defaults replace whatever the page had chosen
        draft.targets = {}
    if go == "back":
        step = max(step - 1, 0)
    elif go == "next":
        step = min(step + 1, steps)
    if step == steps:
        return _targets_step(request, session, visitor, framework, draft)
    return _strand_step(request, visitor, framework, draft, step)


def _strand_step(
    request: Request, visitor: Visitor, framework: Framework, draft: Draft, step: int
) -> HTMLResponse:
    strand = framework.strands[step]
    picked = (draft.chosen[strand.id] or BELOW) if strand.id in draft.chosen else ""
    levels = [
        {
            "id": level,
            "label": framework.level_label(level),
            "statements": [
                {
                    "id": (sid := statement_id(strand.id, level, i)),
                    "text": text,
                    "checked": sid in draft.affirmed,
                }
                for i, text in enumerate(framework.statements(strand.id, level))
            ],
        }
        for level in framework.level_ids
    ]
    return render(
        request,
        "practitioner/strand.html",
        visitor,
        framework=framework,
        strand=strand,
        step=step,
        steps=len(framework.strands) + 1,
        levels=levels,
        chosen=picked,
        below=BELOW,
        hidden=_hidden(draft, framework, skip=strand.id),
    )


def _hidden(draft: Draft, framework: Framework, skip: str | None) -> list[tuple[str, str]]:
    """The draft as hidden fields, minus what this step's own inputs carry."""
    fields = [("affirmed", sid) for sid in draft.affirmed if _strand_of(sid) != skip]
    fields += [
        (f"level-{s}", BELOW if level is None else level)
        for s, level in draft.chosen.items()
        if s != skip
    ]
    if skip is not None:
        fields += [(f"target-{s}", level) for s, level in draft.targets.items()]
        if draft.role:
            fields.append(("role", draft.role))
    return fields


def _targets_step(
    request: Request, session: Session, visitor: Visitor, framework: Framework, draft: Draft
) -> HTMLResponse:
    policy = assessments.policy(session, visitor.principal.org, framework.id)
    defaults, sources = assessments.targets_for(policy, draft.role, {})
    currents = draft.currents(framework)
    rows = []
    for strand in framework.strands:
        current = currents.get(strand.id)
        if strand.id in draft.targets:
            target, why = draft.targets[strand.id], "your choice"
        elif strand.id in defaults:
            source = sources[strand.id]
            target = defaults[strand.id]
            why = "default for your role" if source == "role" else "your organisation's default"
        else:
            target, why = _next_level(framework, current), "suggested: the next level up"
        rows.append(
            {
                "strand": strand,
                "current": framework.level_label(current) if current else None,
                "target": target,
                "why": why,
            }
        )
    return render(
        request,
        "practitioner/targets.html",
        visitor,
        framework=framework,
        rows=rows,
        roles=_roles(policy),
        role=draft.role,
        step=len(framework.strands),
        steps=len(framework.strands) + 1,
        hidden=_hidden(Draft(draft.affirmed, draft.chosen), framework, skip=None),
    )


def _roles(policy: TargetPolicy | None) -> list[str]:
    return sorted(policy.roles) if policy else []


def _next_level(framework: Framework, current: str | None) -> str:
    ids = framework.level_ids
    return ids[0] if current is None else ids[min(framework.rank(current) + 1, len(ids) - 1)]


def _save(session: Session, visitor: Visitor, framework: Framework, draft: Draft) -> Response:
    org = visitor.principal.org
    subject = subjects.ensure(session, org, _subject(visitor))
    assessments.record(
        session,
        org,
        subject.id,
        framework,
        affirmed=draft.answered(),
        chosen=draft.chosen,
        targets=draft.targets,
        role=draft.role,
        priorities={},
    )
    session.commit()
    return RedirectResponse(f"/results/{framework.id}?saved=1", status_code=303)


@router.get("/results/{framework_id}", response_class=HTMLResponse)
def results(
    request: Request,
    framework_id: str,
    session: SessionDep,
    visitor: PractitionerDep,
    pool: PoolDep,
    boosters: BoostersDep,
    format: Annotated[list[str], Query()] = [],  # noqa: B006  # FastAPI copies defaults
    max_hours: str = "",
    max_cost: str = "",
    notice: str = "",
    activity: str = "",
) -> Response:
    framework = _framework(session, visitor, framework_id)
    org = visitor.principal.org
    latest = subjects.latest(session, org, _subject(visitor), framework.id)
    if latest is None:
        return RedirectResponse(f"/assess/{framework.id}", status_code=303)
    constraints, filter_errors = _constraints(format, max_hours, max_cost)
    snapshot = pool.get(org)
    recs, excluded = rank_for_subject(
        session,
        snapshot,
        boosters,
        latest,
        constraints=constraints or Constraints(),
        query=None,
        limit=SUGGESTIONS,
    )
    history = subjects.assessments(session, org, _subject(visitor), framework.id)
    acted = snapshot.activities.get(activity)
    message = ACTIONS.get(notice, "").format(title=acted.title) if acted else ""
    return render(
        request,
        "practitioner/results.html",
        visitor,
        status=422 if filter_errors else 200,
        framework=framework,
        latest=latest,
        rows=_level_rows(framework, latest),
        chart=gap_chart(framework, _levels(latest), title="Where you are and where you aim to be"),
        progress=progress_chart(
            framework,
            [(a.assessed_at, _levels(a)) for a in history],
            title="Your levels at each self-assessment",
        ),
        history=history,
        items=recommended_items(snapshot, recs),
        excluded=excluded,
        formats=FORMATS,
        chosen_formats=set(format),
        max_hours=max_hours,
        max_cost=max_cost,
        filter_errors=filter_errors,
        filtered=bool(format or max_hours or max_cost),
        ratings=RATINGS,
        notice=message,
        saved=request.query_params.get("saved") == "1",
        back=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
    )


def _levels(row: Assessment) -> dict[str, tuple[str | None, str | None]]:
    return {s: (g["current"], g["target"]) for s, g in row.levels.items()}


def _level_rows(framework: Framework, row: Assessment) -> list[dict[str, object]]:
    rows = []
    for strand in framework.strands:
        if strand.id not in row.levels:
            continue
        current, target = row.levels[strand.id]["current"], row.levels[strand.id]["target"]
        rows.append(
            {
                "strand": strand,
                "current": framework.level_label(current) if current else "Not yet started",
                "target": framework.level_label(target) if target else "",
                "met": target is None or framework.rank(current) >= framework.rank(target),
            }
        )
    return rows


def _constraints(
    formats: list[str], max_hours: str, max_cost: str
) -> tuple[Constraints | None, dict[str, str]]:
    """The filters as constraints, or a message per filter field that is wrong."""
    errors: dict[str, str] = {}
    numbers: dict[str, float | None] = {}
    for name, text in (("max_hours", max_hours), ("max_cost", max_cost)):
        try:
            numbers[name] = float(text) if text.strip() else None
        except ValueError:
            errors[name] = "Enter a number, like 3 or 2.5"
            continue
        if numbers[name] is not None and not 0 <= numbers[name] < math.inf:  # type: ignore[operator]
            errors[name] = "Enter 0 or more"
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        errors["format"] = f"There is no format {unknown[0]!r}"
    if errors:
        return None, errors
    constraints = Constraints(
        formats=tuple(formats) or None,  # type: ignore[arg-type]  # checked just above
        max_duration_hours=numbers["max_hours"],
        max_cost=numbers["max_cost"],
    )
    return constraints, {}


@router.post("/feedback")
def give_feedback(session: SessionDep, visitor: PractitionerDep, form: FormDep) -> RedirectResponse:
    org = visitor.principal.org
    activity = str(form.get("activity", ""))
    event = str(form.get("event", ""))
    back = safe_next(str(form.get("back", "/")))
    if event not in ACTIONS:
        raise InvalidInput.single("event", "choose done, dismiss or a rating")
    rating = None
    if event == "rated":
        try:
            rating = int(str(form.get("rating", "")))
        except ValueError:
            return RedirectResponse(_with(back, notice="rating-missing"), status_code=303)
        if rating not in RATINGS:
            raise InvalidInput.single("rating", "a rating is 1 to 5")
    feedback.check_activity(session, org, activity)
    subject = subjects.ensure(session, org, _subject(visitor))
    feedback.record(session, org, subject.id, activity, event, rating=rating)
    session.commit()
    return RedirectResponse(_with(back, notice=event, activity=activity), status_code=303)


def _with(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("notice", "activity", "saved")]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))


@router.get("/my-data", response_class=HTMLResponse)
def my_data(request: Request, session: SessionDep, visitor: PractitionerDep) -> HTMLResponse:
    org = visitor.principal.org
    pid = _subject(visitor)
    return render(
        request,
        "practitioner/my_data.html",
        visitor,
        nav="my-data",
        assessments=subjects.assessments(session, org, pid),
        feedback=subjects.feedback(session, org, pid),
    )


@router.get("/my-data/export")
def export_my_data(session: SessionDep, visitor: PractitionerDep) -> Response:
    """Everything held on the signed-in person, as the JSON the API's export gives."""
    org, pid = visitor.principal.org, _subject(visitor)
    # Someone who has saved nothing yet is exported as an empty record, not stored as one.
    subject = subjects.find(session, org, pid) or Subject(org=org, id=pid, created_at=utcnow())
    document = subjects.export(session, org, subject)
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-cpdrec-data.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/my-data/erase", response_class=HTMLResponse)
def erase_my_data(
    request: Request, session: SessionDep, visitor: PractitionerDep, form: FormDep
) -> Response:
    if form.get("confirm") != "yes":
        return render(
            request,
            "practitioner/my_data.html",
            visitor,
            status=422,
            nav="my-data",
            assessments=subjects.assessments(session, visitor.principal.org, _subject(visitor)),
            feedback=subjects.feedback(session, visitor.principal.org, _subject(visitor)),
            confirm_error="Tick the box to confirm that you want everything erased.",
        )
    org = visitor.principal.org
    subject = subjects.ensure(session, org, _subject(visitor))
    counts = subjects.erase(session, org, subject, visitor.principal.actor)
    session.commit()
    response = render(request, "practitioner/erased.html", None, counts=counts)
    response.delete_cookie(auth.COOKIE, path="/")
    return response
