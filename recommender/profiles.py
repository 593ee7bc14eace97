"""Gap profiles (CONTRACT §3): where a person or school is, where they aim, and what binds them.

Parsing checks shape (types, ranges); `check_profile` checks meaning against the framework
(known strands and levels, target not below current). Both report dotted field names so the
HTTP layer can point at the exact field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from recommender.activities import Format
from recommender.errors import InvalidInput, Problem
from recommender.frameworks import FRAMEWORK_ID, Framework
from recommender.jsonlines import json_lines
from recommender.validation import problems_from_pydantic

Priority = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""Weight of a strand's gap; 1.0 by default, 0 to ignore the strand."""


class LevelGap(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    current: str | None = None
    target: str


class Constraints(BaseModel):
    """Hard filters: an activity breaking any of them is never recommended.

    An activity whose duration or cost is unknown cannot be shown to meet a limit on it, so it
    is filtered out when that limit is set.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    formats: tuple[Format, ...] | None = None
    max_duration_hours: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    max_cost: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class GapProfile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None = Field(default=None, max_length=200)
    framework: str = Field(pattern=FRAMEWORK_ID.pattern)
    levels: dict[str, LevelGap] = Field(default_factory=dict)
    priorities: dict[str, Priority] = Field(default_factory=dict)
    constraints: Constraints = Field(default_factory=Constraints)
    query: str | None = Field(default=None, max_length=2000)

    def priority(self, strand_id: str) -> float:
        return self.priorities.get(strand_id, 1.0)


class Gap(NamedTuple):
    """One strand on which the target lies above the current level (a named tuple: several
    are made per request, three times as fast as a frozen dataclass)."""

    strand: str
    current: str | None
    target: str
    current_rank: int
    target_rank: int
    priority: float

    @property
    def size(self) -> int:
        return self.target_rank - self.current_rank


def check_profile(profile: GapProfile, frameworks: Mapping[str, Framework]) -> Framework:
    """Return the profile's framework, or raise `InvalidInput` naming every bad field."""
    framework = frameworks.get(profile.framework)
    if framework is None:
        known = ", ".join(sorted(frameworks)) or "none loaded"
        raise InvalidInput.single(
            "framework", f"unknown framework {profile.framework!r} (known: {known})"
        )
    problems = []
    for strand_id, gap in profile.levels.items():
        where = f"levels.{strand_id}"
        if not framework.has_strand(strand_id):
            problems.append(Problem(where, f"unknown strand {strand_id!r} in {framework.id!r}"))
            continue
        bad = False
        for name in ("current", "target"):
            level_id = getattr(gap, name)
            if level_id is not None and not framework.has_level(level_id):
                problems.append(
                    Problem(
                        f"{where}.{name}",
                        f"unknown level {level_id!r} (levels are {', '.join(framework.level_ids)})",
                    )
                )
                bad = True
        if not bad and framework.rank(gap.target) < framework.rank(gap.current):
            problems.append(
                Problem(
                    f"{where}.target", f"target {gap.target!r} is below current {gap.current!r}"
                )
            )
    for strand_id in profile.priorities:
        if not framework.has_strand(strand_id):
            message = f"unknown strand {strand_id!r} in {framework.id!r}"
            problems.append(Problem(f"priorities.{strand_id}", message))
    if problems:
        raise InvalidInput(problems)
    return framework


def gaps(profile: GapProfile, framework: Framework) -> list[Gap]:
    """The strands with a positive gap and a positive priority, in framework order."""
    found = []
    for strand in framework.strands:
        level_gap = profile.levels.get(strand.id)
        if level_gap is None:
            continue
        current, target = framework.rank(level_gap.current), framework.rank(level_gap.target)
        priority = profile.priority(strand.id)
        if target > current and priority > 0:
            found.append(
                Gap(strand.id, level_gap.current, level_gap.target, current, target, priority)
            )
    return found


def parse_profile(data: Any, *, source: str | None = None, line: int | None = None) -> GapProfile:
    try:
        return GapProfile.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(problems_from_pydantic(exc, source=source, line=line)) from None


def read_profiles(path: str | Path, frameworks: Mapping[str, Framework]) -> Iterator[GapProfile]:
    """Stream profiles from a JSON-lines file, validating each; blank lines are skipped.

    The whole file is validated before the first profile is yielded, so a bad line never leaves
    half an output behind. Profiles are then parsed again as they are yielded, so memory does
    not grow with the number of profiles.
    """
    problems = [
        p for item in _parse_lines(path, frameworks) if isinstance(item, list) for p in item
    ]
    if problems:
        raise InvalidInput(problems)
    for item in _parse_lines(path, frameworks):
        if isinstance(item, list):  # the file changed since it was validated
            raise InvalidInput(item)
        yield item


def _parse_lines(
    path: str | Path, frameworks: Mapping[str, Framework]
) -> Iterator[GapProfile | list[Problem]]:
    """Each non-blank line as a checked profile, or the problems that line has."""
    source = str(path)
    for number, data in json_lines(path):
        if isinstance(data, Problem):
            yield [data]
            continue
        try:
            profile = parse_profile(data, source=source, line=number)
            check_profile(profile, frameworks)
        except InvalidInput as exc:
            yield [Problem(p.field, p.message, source, number, p.column) for p in exc.problems]
            continue
        yield profile
