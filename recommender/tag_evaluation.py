"""Tag-inference evaluation: hold back true tags, infer them from text, score the guesses.

For each seed, a random share of the tagged activities loses its tags, the tagger learns from
the rest (as it would from a coordinator's partly tagged catalogue), and tags every held-out
activity plus every activity of a truth file (whose own catalogue tags, if any, are withheld
too). A truth entry with no tags is a distractor: nothing should be tagged to it at 0.5 or more.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from sklearn.base import clone

from recommender.activities import Activity, Tag, check_tags
from recommender.cells import Cell
from recommender.errors import InvalidInput, Problem
from recommender.frameworks import Framework
from recommender.jsonlines import json_lines
from recommender.metrics import Bin, brier_score, expected_calibration_error, reliability_table
from recommender.tagging import ScoredTag, TagInferrer

ACCEPT = 0.5
"""Confidence from which an inferred tag counts as given (the ranker's default threshold)."""

Source = Literal["held-out", "truth"]


def read_truth(
    path: str | Path,
    frameworks: Mapping[str, Framework],
    known_activities: Collection[str] | None = None,
) -> dict[str, frozenset[Cell]]:
    """Read `{"activity": "X001", "tags": ["fw:strand:level", ...]}` lines; an empty list marks a
    distractor. Tags naming a loaded framework must name its strands and levels, and with
    `known_activities` every activity must be one of them."""
    path = Path(path)
    source = str(path)
    truth: dict[str, frozenset[Cell]] = {}
    problems: list[Problem] = []
    for number, row in json_lines(path):
        if isinstance(row, Problem):
            problems.append(row)
            continue
        try:
            activity = row["activity"]
            raw = row["tags"]
            if not isinstance(activity, str) or not activity.strip():
                raise ValueError("activity must be a non-empty string")
            if not isinstance(raw, list):
                raise ValueError("tags must be a list of 'framework:strand:level' strings")
            tags = [Tag.parse(str(t)) for t in raw]
        except (ValueError, KeyError, TypeError) as exc:
            message = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            problems.append(Problem("", message, source, number))
            continue
        problems.extend(Problem("tags", m, source, number) for m in check_tags(tags, frameworks))
        if activity in truth:
            problems.append(Problem("activity", f"{activity!r} is listed twice", source, number))
        if known_activities is not None and activity not in known_activities:
            message = f"{activity!r} is not in the catalogue"
            problems.append(Problem("activity", message, source, number))
        truth[activity] = frozenset((t.framework, t.strand, t.level) for t in tags)
    if problems:
        raise InvalidInput(problems)
    return truth


@dataclass(frozen=True, slots=True)
class Outcome:
    """One scored activity in one run: what was true and what the tagger said."""

    seed: int
    activity: str
    source: Source
    truth: frozenset[Cell]
    predicted: tuple[ScoredTag, ...]

    @property
    def is_distractor(self) -> bool:
        return not self.truth

    def correct(self, tag: ScoredTag) -> bool:
        return (tag.tag.framework, tag.tag.strand, tag.tag.level) in self.truth


@dataclass(frozen=True)
class TagSummary:
    """Figures over a set of outcomes; None where the set has nothing to measure.

    strand_at_1 / cell_at_1: share of truly tagged activities whose most confident inferred tag
        has a true strand / a true (strand, level) cell; no tag at all counts as a miss.
    accepted: share of truly tagged activities given at least one tag at ≥ 0.5 (what reaches
        the ranker), and accepted_precision the share of those tags that are right.
    distractor_rate: share of distractors given any tag at ≥ 0.5.
    reliability, ece, brier: calibration of every emitted tag's confidence against whether
        the tag is one of the activity's true tags.
    """

    activities: int
    distractors: int
    strand_at_1: float | None
    cell_at_1: float | None
    accepted: float | None
    accepted_precision: float | None
    distractor_rate: float | None
    tags: int
    reliability: list[Bin] = field(default_factory=list)
    ece: float = 0.0
    brier: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            **{k: v for k, v in self.__dict__.items() if k != "reliability"},
            "reliability": [b.to_dict() for b in self.reliability],
        }


def summarise(outcomes: Sequence[Outcome], n_bins: int = 10) -> TagSummary:
    tagged = [o for o in outcomes if not o.is_distractor]
    distractors = [o for o in outcomes if o.is_distractor]
    tops = [o.predicted[0] if o.predicted else None for o in tagged]
    accepted = [[t for t in o.predicted if t.confidence >= ACCEPT] for o in tagged]
    accepted_tags = [(o, t) for o, ts in zip(tagged, accepted, strict=True) for t in ts]
    emitted = [(o, t) for o in outcomes for t in o.predicted]
    confidences = [t.confidence for _, t in emitted]
    correct = [o.correct(t) for o, t in emitted]
    bins = reliability_table(confidences, correct, n_bins)
    return TagSummary(
        activities=len(tagged),
        distractors=len(distractors),
        strand_at_1=_share(
            top is not None and (top.tag.framework, top.tag.strand) in {c[:2] for c in o.truth}
            for o, top in zip(tagged, tops, strict=True)
        ),
        cell_at_1=_share(
            top is not None and o.correct(top) for o, top in zip(tagged, tops, strict=True)
        ),
        accepted=_share(bool(ts) for ts in accepted),
        accepted_precision=_share(o.correct(t) for o, t in accepted_tags),
        distractor_rate=_share(
            any(t.confidence >= ACCEPT for t in o.predicted) for o in distractors
        ),
        tags=len(emitted),
        reliability=bins,
        ece=expected_calibration_error(bins),
        brier=brier_score(confidences, correct),
    )


def _share(flags: Iterable[bool]) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


def hold_out_runs(
    frameworks: Sequence[Framework],
    activities: Sequence[Activity],
    truth: Mapping[str, frozenset[Cell]] | None = None,
    *,
    hold_out: float = 0.5,
    seeds: int = 5,
    tagger: TagInferrer | None = None,
) -> list[Outcome]:
    """Outcomes of `seeds` runs (seeds 0, 1, ...), each holding out a random `hold_out` share
    of the tagged activities not in `truth`; the tagger (default `TagInferrer()`) is cloned
    and fitted per run."""
    if not 0 < hold_out <= 1:
        raise ValueError("hold_out must lie in (0, 1]")
    truth = dict(truth or {})
    loaded = {f.id for f in frameworks}
    missing = sorted(set(truth) - {a.id for a in activities})
    if missing:
        raise ValueError(f"truth names activities not in the catalogue: {', '.join(missing)}")
    true_cells = {
        a.id: frozenset((t.framework, t.strand, t.level) for t in a.tags if t.framework in loaded)
        for a in activities
    }
    pool = [i for i, a in enumerate(activities) if true_cells[a.id] and a.id not in truth]
    outcomes: list[Outcome] = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        held = {pool[i] for i in rng.choice(len(pool), round(hold_out * len(pool)), replace=False)}
        training = [
            a.model_copy(update={"tags": ()}) if i in held or a.id in truth else a
            for i, a in enumerate(activities)
        ]
        fitted = clone(tagger if tagger is not None else TagInferrer()).fit(frameworks, training)
        scored: list[tuple[Activity, Source, frozenset[Cell]]] = [
            (activities[i], "held-out", true_cells[activities[i].id]) for i in sorted(held)
        ]
        scored += [(a, "truth", truth[a.id]) for a in activities if a.id in truth]
        predicted = fitted.predict([a for a, _, _ in scored])
        outcomes.extend(
            Outcome(seed, a.id, source, cells, tuple(tags))
            for (a, source, cells), tags in zip(scored, predicted, strict=True)
        )
    return outcomes
