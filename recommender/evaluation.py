"""Offline evaluation: rank labelled profiles and score the lists against graded judgements."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from recommender.errors import InvalidInput, Problem
from recommender.metrics import ndcg_at_k, precision_at_k
from recommender.profiles import GapProfile
from recommender.ranker import GapRanker

Judgements = Mapping[str, Mapping[str, float]]
"""profile id -> activity id -> grade (0..3)."""


def read_judgements(path: str | Path) -> dict[str, dict[str, float]]:
    """Read `{"profile", "activity", "grade"}` JSON lines into a nested mapping."""
    path = Path(path)
    grades: dict[str, dict[str, float]] = defaultdict(dict)
    problems = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            grade = float(row["grade"])
            if not 0 <= grade <= 3:
                raise ValueError("grade must lie in 0..3")
            grades[str(row["profile"])][str(row["activity"])] = grade
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(Problem("", f"bad judgement: {exc}", str(path), number))
    if problems:
        raise InvalidInput(problems)
    return dict(grades)


@dataclass(frozen=True)
class Report:
    k: int
    ndcg: float
    precision: float
    per_profile: dict[str, float]


def evaluate(
    ranker: GapRanker, profiles: Sequence[GapProfile], judgements: Judgements, k: int = 5
) -> Report:
    """Mean nDCG@k and precision@k over profiles (a profile without id is an error)."""
    per_profile: dict[str, float] = {}
    precisions = []
    for profile, recs in zip(profiles, ranker.rank_many(profiles, k), strict=True):
        if profile.id is None:
            raise ValueError("evaluation profiles need ids")
        ranked = [r.activity for r in recs]
        grades = judgements.get(profile.id, {})
        per_profile[profile.id] = ndcg_at_k(ranked, grades, k)
        if any(g > 0 for g in grades.values()):
            precisions.append(precision_at_k(ranked, grades, k))
    n = max(1, len(per_profile))
    return Report(
        k=k,
        ndcg=sum(per_profile.values()) / n,
        precision=sum(precisions) / max(1, len(precisions)),
        per_profile=per_profile,
    )
