"""Self-assessments: answers plus targets in, a stored assessment and its gap profile out.

Targets come, strand by strand, from the request, else the organisation's default for the
person's role, else its default for everyone; a strand with none of these gets no gap.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Literal

from sqlalchemy.orm import Session

from recommender.assessment import answers_from_statements, assess
from recommender.errors import InvalidInput, Problem
from recommender.frameworks import Framework
from recommender.profiles import Constraints, GapProfile, LevelGap, check_profile
from service.models import Assessment, TargetPolicy


def policy(session: Session, org: str, framework: str) -> TargetPolicy | None:
    return session.get(TargetPolicy, (org, framework))


def set_policy(
    session: Session,
    org: str,
    framework: Framework,
    targets: Mapping[str, str],
    roles: Mapping[str, Mapping[str, str]],
) -> TargetPolicy:
    """Replace the organisation's default targets for `framework`, after checking every
    strand and level exists (errors name the field, e.g. `roles.teacher.1.3`)."""
    problems = _unknown(framework, targets, "targets")
    for role, per_strand in roles.items():
        problems += _unknown(framework, per_strand, f"roles.{role}")
    if problems:
        raise InvalidInput(problems)
    row = policy(session, org, framework.id)
    if row is None:
        row = TargetPolicy(org=org, framework=framework.id)
        session.add(row)
    row.targets = dict(targets)
    row.roles = {role: dict(t) for role, t in roles.items()}
    return row


def _unknown(framework: Framework, targets: Mapping[str, str], field: str) -> list[Problem]:
    problems = []
    for strand, level in targets.items():
        if not framework.has_strand(strand):
            problems.append(Problem(f"{field}.{strand}", f"unknown strand {strand!r}"))
        elif not framework.has_level(level):
            problems.append(Problem(f"{field}.{strand}", f"unknown level {level!r}"))
    return problems


TargetSource = Literal["request", "role", "organisation"]


def targets_for(
    row: TargetPolicy | None, role: str | None, requested: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, TargetSource]]:
    """The targets to use and, per strand, where each came from (`request`, `role`,
    `organisation`), so a person can see why a target was set for them."""
    layers: list[tuple[TargetSource, Mapping[str, str]]] = []
    if row is not None:
        layers.append(("organisation", row.targets))
        if role is not None:
            layers.append(("role", row.roles.get(role, {})))
    layers.append(("request", requested))
    targets: dict[str, str] = {}
    source: dict[str, TargetSource] = {}
    for name, layer in layers:
        for strand, level in layer.items():
            targets[strand] = level
            source[strand] = name
    return targets, source


def record(
    session: Session,
    org: str,
    subject: str,
    framework: Framework,
    *,
    affirmed: Collection[str],
    chosen: Mapping[str, str | None],
    targets: Mapping[str, str],
    role: str | None,
    priorities: Mapping[str, float],
) -> tuple[Assessment, GapProfile]:
    """Derive the gap profile and store the assessment (the caller commits)."""
    answers = answers_from_statements(framework, affirmed)
    profile = assess(framework, answers, targets, chosen=chosen, priorities=priorities)
    check_profile(profile, {framework.id: framework})  # e.g. a priority for an unknown strand
    row = Assessment(
        org=org,
        subject=subject,
        framework=framework.id,
        role=role,
        answers={"affirmed": list(affirmed), "levels": dict(chosen)},
        levels={s: g.model_dump() for s, g in profile.levels.items()},
        priorities=dict(profile.priorities),
    )
    session.add(row)
    session.flush()
    return row, profile


def profile_of(
    row: Assessment, *, constraints: Constraints | None = None, query: str | None = None
) -> GapProfile:
    """The stored assessment as a gap profile, with this request's constraints and query."""
    return GapProfile(
        framework=row.framework,
        levels={s: LevelGap.model_validate(g) for s, g in row.levels.items()},
        priorities=row.priorities,
        constraints=constraints or Constraints(),
        query=query,
    )
