"""Offline evaluation: rank labelled profiles and score the lists against graded judgements.

Given the catalogue's true tags (`Truth`), the lists are also checked for what judgements do
not capture: whether they cover the profile's gaps, break a constraint, bring in activities
of another domain, repeat themselves, or keep showing the same few items to everyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Protocol

from recommender.activities import Activity
from recommender.errors import InvalidInput, Problem
from recommender.frameworks import Framework
from recommender.jsonlines import json_lines
from recommender.metrics import (
    catalogue_coverage,
    gap_coverage,
    intra_list_diversity,
    ndcg_at_k,
    precision_at_k,
    violates,
)
from recommender.profiles import GapProfile, gaps
from recommender.ranker import Recommendation

Judgements = Mapping[str, Mapping[str, float]]
"""profile id -> activity id -> grade (0..3)."""


class Ranker(Protocol):
    """What evaluation needs of a ranker: GapRanker and every baseline fit it."""

    def rank_many(
        self, profiles: Iterable[GapProfile], limit: int = 5
    ) -> Iterator[list[Recommendation]]: ...


def read_judgements(
    path: str | Path,
    known_activities: Collection[str] | None = None,
    profiles: Collection[str] | None = None,
) -> dict[str, dict[str, float]]:
    """Read `{"profile", "activity", "grade"}` JSON lines into a nested mapping.

    With `profiles`, judgements of other profiles are checked for shape only and left out.
    With `known_activities`, a (kept) judgement of an activity outside the catalogue is an
    error: it would silently raise the ideal DCG of its profile.
    """
    path = Path(path)
    source = str(path)
    grades: dict[str, dict[str, float]] = defaultdict(dict)
    problems = []
    for number, row in json_lines(path):
        if isinstance(row, Problem):
            problems.append(row)
            continue
        try:
            grade = float(row["grade"])
            if not 0 <= grade <= 3:
                raise ValueError("grade must lie in 0..3")
            activity, profile = str(row["activity"]), str(row["profile"])
            if profiles is not None and profile not in profiles:
                continue
            if known_activities is not None and activity not in known_activities:
                raise ValueError(f"activity {activity!r} is not in the catalogue")
            grades[profile][activity] = grade
        except (ValueError, KeyError, TypeError) as exc:
            message = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            problems.append(Problem("", f"bad judgement: {message}", source, number))
    if problems:
        raise InvalidInput(problems)
    return dict(grades)


@dataclass(frozen=True)
class Truth:
    """The catalogue with its true tags, and the frameworks, to check lists against."""

    frameworks: Mapping[str, Framework]
    activities: Mapping[str, Activity]

    @classmethod
    def of(cls, frameworks: Iterable[Framework], activities: Iterable[Activity]) -> Truth:
        return cls({f.id: f for f in frameworks}, {a.id: a for a in activities})

    def activity(self, activity_id: str) -> Activity:
        try:
            return self.activities[activity_id]
        except KeyError:
            raise ValueError(f"ranker returned {activity_id!r}, not in the catalogue") from None


@dataclass(frozen=True)
class Report:
    """Mean metrics over profiles; the fields after `per_profile` need `Truth` (else None).

    gap_coverage: share of each profile's addressable gap strands (a gap strand some activity
        meeting the constraints is truly tagged to, at a level within the gap) that the top k
        address, averaged over profiles that have one.
    constraint_violations: returned items breaking a hard constraint, summed over profiles.
    distractor_rate: share of all returned items with no true tag on the profile's framework.
    catalogue_coverage: share of the catalogue in at least one profile's top k.
    diversity: mean pairwise 1 − Jaccard similarity of the sets of the profile's framework
        strands the top k items are truly tagged to, over lists of two items or more.
    """

    k: int
    ndcg: float
    precision: float
    per_profile: dict[str, float]
    gap_coverage: float | None = None
    constraint_violations: int | None = None
    distractor_rate: float | None = None
    catalogue_coverage: float | None = None
    diversity: float | None = None
    mean_returned: float | None = None
    extra: dict[str, float] = field(default_factory=dict)
    by_framework: dict[str, float] = field(default_factory=dict)
    """Mean nDCG@k of each framework's profiles."""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def evaluate(
    ranker: Ranker,
    profiles: Sequence[GapProfile],
    judgements: Judgements,
    k: int = 5,
    *,
    truth: Truth | None = None,
) -> Report:
    """Mean nDCG@k and precision@k over profiles (a profile without id is an error), plus the
    list metrics of `Report` when the catalogue's true tags are given."""
    per_profile: dict[str, float] = {}
    precisions: list[float] = []
    lists: list[list[str]] = []
    for profile, recs in zip(profiles, ranker.rank_many(profiles, k), strict=True):
        if profile.id is None:
            raise ValueError("evaluation profiles need ids")
        ranked = [r.activity for r in recs[:k]]
        lists.append(ranked)
        grades = judgements.get(profile.id, {})
        per_profile[profile.id] = ndcg_at_k(ranked, grades, k)
        if any(g > 0 for g in grades.values()):
            precisions.append(precision_at_k(ranked, grades, k))
    frameworks: dict[str, list[float]] = defaultdict(list)
    for profile in profiles:
        frameworks[profile.framework].append(per_profile[str(profile.id)])
    report = Report(
        k=k,
        ndcg=_mean(per_profile.values()) or 0.0,
        precision=_mean(precisions) or 0.0,
        per_profile=per_profile,
        by_framework={f: sum(v) / len(v) for f, v in frameworks.items()},
    )
    if truth is None:
        return report
    return _with_list_metrics(report, profiles, lists, truth)


def _with_list_metrics(
    report: Report, profiles: Sequence[GapProfile], lists: Sequence[list[str]], truth: Truth
) -> Report:
    coverages: list[float] = []
    diversities: list[float] = []
    violations = distractors = returned = 0
    for profile, ranked in zip(profiles, lists, strict=True):
        framework = truth.frameworks[profile.framework]
        cells = _gap_cells(profile, framework)
        items = [truth.activity(a) for a in ranked]
        violations += sum(violates(a, profile.constraints) for a in items)
        strands = [{t.strand for t in a.tags if t.framework == framework.id} for a in items]
        distractors += sum(1 for s in strands if not s)
        returned += len(items)
        addressable = {
            strand
            for a in truth.activities.values()
            if not violates(a, profile.constraints)
            for strand in _addressed(a, framework.id, cells)
        }
        coverage = gap_coverage([_addressed(a, framework.id, cells) for a in items], addressable)
        if coverage is not None:
            coverages.append(coverage)
        diversity = intra_list_diversity(strands)
        if diversity is not None:
            diversities.append(diversity)
    return replace(
        report,
        gap_coverage=_mean(coverages),
        constraint_violations=violations,
        distractor_rate=distractors / returned if returned else 0.0,
        catalogue_coverage=catalogue_coverage(lists, truth.activities),
        diversity=_mean(diversities),
        mean_returned=returned / len(lists) if lists else 0.0,
    )


def _gap_cells(profile: GapProfile, framework: Framework) -> set[tuple[str, str]]:
    """(strand, level) of every level within a gap: above current, up to the target."""
    return {
        (gap.strand, framework.level_ids[rank])
        for gap in gaps(profile, framework)
        for rank in range(gap.current_rank + 1, gap.target_rank + 1)
    }


def _addressed(activity: Activity, framework: str, cells: set[tuple[str, str]]) -> set[str]:
    return {
        t.strand for t in activity.tags if t.framework == framework and (t.strand, t.level) in cells
    }


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def mean_report(reports: Sequence[Report]) -> Report:
    """The mean of several runs' reports (e.g. over random strippings); constraint violations
    are summed, and the runs' lowest and highest nDCG go to `extra`. A metric missing from any
    run stays None."""
    if not reports:
        raise ValueError("no reports to average")
    if len(reports) == 1:
        return reports[0]

    def avg(name: str) -> float | None:
        values = [getattr(r, name) for r in reports]
        return None if None in values else sum(values) / len(values)

    violations = [r.constraint_violations for r in reports]
    ndcgs = [r.ndcg for r in reports]
    return Report(
        k=reports[0].k,
        ndcg=sum(ndcgs) / len(ndcgs),
        precision=sum(r.precision for r in reports) / len(reports),
        per_profile={
            p: sum(r.per_profile[p] for r in reports) / len(reports) for p in reports[0].per_profile
        },
        gap_coverage=avg("gap_coverage"),
        constraint_violations=None if None in violations else sum(v or 0 for v in violations),
        distractor_rate=avg("distractor_rate"),
        catalogue_coverage=avg("catalogue_coverage"),
        diversity=avg("diversity"),
        mean_returned=avg("mean_returned"),
        extra={"runs": len(reports), "ndcg_min": min(ndcgs), "ndcg_max": max(ndcgs)},
        by_framework={
            f: sum(r.by_framework[f] for r in reports) / len(reports)
            for f in reports[0].by_framework
        },
    )
