"""Self-assessment: from the statements a person (or school) affirms, derive their levels.

Levels are cumulative: a level counts as reached only when it and every level below it are met,
and a level is met when at least `min_share` of its statements are affirmed. Affirming a
higher level's statements while a lower level is unmet does not skip the gap; the person still
has the lower level to secure first.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

from recommender.errors import InvalidInput, Problem
from recommender.frameworks import Framework
from recommender.profiles import Constraints, GapProfile, LevelGap

Answers = Mapping[str, Mapping[str, Collection[int]]]
"""strand id -> level id -> indexes (0-based) of the statements affirmed at that level."""


def statement_id(strand_id: str, level_id: str, index: int) -> str:
    """Stable id for a statement, e.g. ``1.3/embedding/0``, used by questionnaires."""
    return f"{strand_id}/{level_id}/{index}"


def answers_from_statements(
    framework: Framework, affirmed: Collection[str]
) -> dict[str, dict[str, list[int]]]:
    """Statement ids (as `statement_id` makes them) to `Answers`; every bad id is reported,
    as ``affirmed[2]``, so a questionnaire page can point at it."""
    answers: dict[str, dict[str, list[int]]] = {}
    problems = []
    for position, sid in enumerate(affirmed):
        strand_id, _, rest = sid.partition("/")
        level_id, _, index = rest.rpartition("/")
        count = (
            len(framework.statements(strand_id, level_id))
            if framework.has_strand(strand_id) and framework.has_level(level_id)
            else 0
        )
        if not index.isdigit() or int(index) >= count:
            problems.append(
                Problem(f"affirmed[{position}]", f"no statement {sid!r} in {framework.id}")
            )
            continue
        answers.setdefault(strand_id, {}).setdefault(level_id, []).append(int(index))
    if problems:
        raise InvalidInput(problems)
    return answers


def current_level(
    framework: Framework,
    strand_id: str,
    affirmed: Mapping[str, Collection[int]],
    *,
    min_share: float = 0.5,
) -> str | None:
    reached: str | None = None
    for level_id in framework.level_ids:
        statements = framework.statements(strand_id, level_id)
        if not statements:
            reached = level_id  # nothing to affirm at this level: it cannot hold anyone back
            continue
        needed = max(1, math.ceil(min_share * len(statements)))
        if len(set(affirmed.get(level_id, ()))) < needed:
            break
        reached = level_id
    return reached


def check_answers(framework: Framework, answers: Answers) -> None:
    problems = []
    for strand_id, per_level in answers.items():
        if not framework.has_strand(strand_id):
            problems.append(Problem(f"answers.{strand_id}", f"unknown strand {strand_id!r}"))
            continue
        for level_id, indexes in per_level.items():
            where = f"answers.{strand_id}.{level_id}"
            if not framework.has_level(level_id):
                problems.append(Problem(where, f"unknown level {level_id!r}"))
                continue
            count = len(framework.statements(strand_id, level_id))
            for index in indexes:
                if not 0 <= index < count:
                    problems.append(
                        Problem(where, f"statement {index} does not exist (this level has {count})")
                    )
    if problems:
        raise InvalidInput(problems)


def assess(
    framework: Framework,
    answers: Answers,
    targets: Mapping[str, str],
    *,
    chosen: Mapping[str, str | None] | None = None,
    min_share: float = 0.5,
    profile_id: str | None = None,
    priorities: Mapping[str, float] | None = None,
    constraints: Constraints | None = None,
    query: str | None = None,
) -> GapProfile:
    """Build a gap profile from questionnaire answers and per-strand targets.

    `chosen` holds levels picked directly instead of answering statements (None: not yet at
    the lowest level); a strand may be answered or chosen, not both. A target below the
    current level means the strand is already met: it is recorded with target = current (no
    gap) rather than rejected, as is a strand with a known level and no target, so progress
    over time can show it.
    """
    check_answers(framework, answers)
    chosen = chosen or {}
    _check_chosen(framework, answers, chosen)
    levels: dict[str, LevelGap] = {}
    for strand in framework.strands:
        if strand.id in chosen:
            current = chosen[strand.id]
        else:
            current = current_level(
                framework, strand.id, answers.get(strand.id, {}), min_share=min_share
            )
        target = targets.get(strand.id, current)
        if target is None:
            continue
        if not framework.has_level(target):
            raise InvalidInput.single(f"targets.{strand.id}", f"unknown level {target!r}")
        if current is not None and framework.rank(target) < framework.rank(current):
            target = current
        levels[strand.id] = LevelGap(current=current, target=target)
    unknown = [s for s in targets if not framework.has_strand(s)]
    if unknown:
        raise InvalidInput.single(f"targets.{unknown[0]}", f"unknown strand {unknown[0]!r}")
    return GapProfile(
        id=profile_id,
        framework=framework.id,
        levels=levels,
        priorities=dict(priorities or {}),
        constraints=constraints or Constraints(),
        query=query,
    )


def _check_chosen(framework: Framework, answers: Answers, chosen: Mapping[str, str | None]) -> None:
    problems = []
    for strand_id, level_id in chosen.items():
        where = f"levels.{strand_id}"
        if not framework.has_strand(strand_id):
            problems.append(Problem(where, f"unknown strand {strand_id!r}"))
        elif level_id is not None and not framework.has_level(level_id):
            problems.append(Problem(where, f"unknown level {level_id!r}"))
        elif strand_id in answers:
            problems.append(
                Problem(where, "choose a level or answer this strand's statements, not both")
            )
    if problems:
        raise InvalidInput(problems)
