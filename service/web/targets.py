"""The coordinator's default targets for a framework: for everyone, and per staff role.

Saving goes through the API's own `PUT /v1/frameworks/{id}/targets` function, so the page gets
the same checks, the same audit event (the coordinator's key as actor) and the same
last-write-wins replacement; there is no version to conflict on. Practitioners then find these
targets already chosen on their questionnaire's targets step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from recommender.errors import InvalidInput, Problem
from recommender.frameworks import Framework
from recommender.validation import problems_from_pydantic
from service import assessments, store
from service.deps import SessionDep
from service.models import TargetPolicy
from service.routes.frameworks import set_targets
from service.schemas import TargetPolicyIn
from service.web.auth import CuratorDep, FormDep, Visitor
from service.web.templating import render

router = APIRouter()

SAVED = "Saved default targets for {title}."
NEW_ROLE = "new-role"


@dataclass
class Role:
    """One role's section of the form: its overrides, strand id → level id."""

    name: str
    targets: dict[str, str] = field(default_factory=dict)
    remove: bool = False


@dataclass
class Choices:
    """What the form shows or was sent: the page re-renders exactly these on an error."""

    targets: dict[str, str] = field(default_factory=dict)
    roles: list[Role] = field(default_factory=list)
    new_role: str = ""

    @classmethod
    def saved(cls, row: TargetPolicy | None) -> Choices:
        if row is None:
            return cls()
        roles = [Role(name, dict(targets)) for name, targets in sorted(row.roles.items())]
        return cls(dict(row.targets), roles)

    @classmethod
    def posted(cls, form: FormData, framework: Framework) -> Choices:
        """Only the framework's strands are read; levels are left for the API to check."""

        def levels(prefix: str) -> dict[str, str]:
            picked = {s.id: str(form.get(f"{prefix}{s.id}", "")) for s in framework.strands}
            return {strand: level for strand, level in picked.items() if level}

        roles = [
            Role(str(name), levels(f"role-{j}-target-"), bool(form.get(f"role-{j}-remove")))
            for j, name in enumerate(form.getlist("role"))
        ]
        return cls(levels("target-"), roles, str(form.get(NEW_ROLE, "")).strip())

    def body(self) -> dict[str, Any]:
        """The API's request body: removed roles left out, an added role with no overrides."""
        roles = {role.name: role.targets for role in self.roles if not role.remove}
        if self.new_role:
            roles[self.new_role] = {}
        return {"targets": self.targets, "roles": roles}

    def controls(self, framework: Framework) -> dict[str, tuple[str, str]]:
        """API field (as its errors name it) → (id of the form control, label for the summary)."""
        found = {NEW_ROLE: (NEW_ROLE, "Add a role")}
        for i, strand in enumerate(framework.strands, start=1):
            name = f"{strand.id} {strand.title}"
            found[f"targets.{strand.id}"] = (f"target-{i}", f"Everyone: {name}")
            for j, role in enumerate(self.roles):
                label = f"{role.name}: {name}"
                found[f"roles.{role.name}.{strand.id}"] = (f"role-{j}-target-{i}", label)
        return found


def _errors(
    problems: Sequence[Problem], choices: Choices, framework: Framework
) -> dict[str, tuple[str, str]]:
    """Control id → (label, message), each beside the control the API's field names."""
    controls = choices.controls(framework)
    errors: dict[str, tuple[str, str]] = {}
    for problem in problems:
        control = controls.get(problem.field)
        added = f"roles.{choices.new_role}."
        if control is None and choices.new_role and problem.field.startswith(added):
            control = controls[NEW_ROLE]  # the added role's name itself, e.g. too long
        control_id, label = control or ("targets-form", "Default targets")
        message = problem.message[:1].upper() + problem.message[1:]
        errors.setdefault(control_id, (label, message))
    return errors


def _page(
    request: Request,
    visitor: Visitor,
    session: Session,
    framework: Framework,
    choices: Choices,
    *,
    errors: dict[str, tuple[str, str]] | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    org = store.organisation(session, visitor.principal.org)
    row = assessments.policy(session, org.id, framework.id)
    return render(
        request,
        "coordinator/targets.html",
        visitor,
        status=status,
        nav="targets",
        framework=framework,
        frameworks=store.frameworks(session, org),
        choices=choices,
        errors=errors or {},
        updated_at=row.updated_at if row is not None else None,
        notice=notice,
        action="/targets?" + urlencode({"framework": framework.id}),
    )


@router.get("/targets", response_class=HTMLResponse)
def targets_page(
    request: Request,
    session: SessionDep,
    visitor: CuratorDep,
    framework: Annotated[str, Query(max_length=100)] = "",
    notice: str = "",
) -> HTMLResponse:
    """The saved defaults, as `GET /v1/frameworks/{id}/targets` returns them."""
    fw = _framework(session, visitor, framework)
    choices = Choices.saved(assessments.policy(session, visitor.principal.org, fw.id))
    message = SAVED.format(title=fw.title) if notice == "saved" else ""
    return _page(request, visitor, session, fw, choices, notice=message)


@router.post("/targets", response_model=None)
def save_targets(
    request: Request,
    session: SessionDep,
    visitor: CuratorDep,
    form: FormDep,
    framework: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Replace the defaults exactly as the API's PUT does (same checks, audit and commit)."""
    fw = _framework(session, visitor, framework)
    choices = Choices.posted(form, fw)
    try:
        if any(choices.new_role == role.name for role in choices.roles):
            raise InvalidInput.single(NEW_ROLE, "This role already has a section above")
        try:
            body = TargetPolicyIn.model_validate(choices.body())
        except ValidationError as exc:
            raise InvalidInput(problems_from_pydantic(exc)) from None
        set_targets(fw.id, body, session, visitor.principal)
    except InvalidInput as exc:
        errors = _errors(exc.problems, choices, fw)
        return _page(request, visitor, session, fw, choices, errors=errors, status=422)
    target = "/targets?" + urlencode({"framework": fw.id, "notice": "saved"})
    return RedirectResponse(target, status_code=303)


def _framework(session: Session, visitor: Visitor, framework_id: str) -> Framework:
    """The chosen framework (404 if the organisation has none by that id), else its first."""
    org = store.organisation(session, visitor.principal.org)
    if framework_id:
        return store.framework(session, org.id, framework_id)
    return store.frameworks(session, org)[0]
