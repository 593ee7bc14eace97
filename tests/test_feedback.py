"""Feedback as a ranking signal: the events-to-ratings rules, the booster as an estimator, its
measured effect on simulated feedback, and what it may never do (leave the gaps, break a hard
constraint, let people with other gaps move a ranking)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from recommender import make_ranker
from recommender.activities import FORMATS, Activity
from recommender.feedback import (
    ABANDONED,
    COMPLETED,
    FeedbackBooster,
    Rating,
    ratings_from_events,
    utility,
)
from recommender.frameworks import Framework
from recommender.profiles import GapProfile, parse_profile
from recommender.ranker import GapRanker
from tests.conftest import activity

D2030 = "d2030-commitment"
STRANDS = ("1.1", "1.2", "1.3", "1.4")
LEVELS = ("exploring", "embedding", "transforming")


def gap_profile(**fields: Any) -> GapProfile:
    return parse_profile({"framework": D2030, **fields})


def ids(recs: Sequence[Any]) -> list[str]:
    return [r.activity for r in recs]


def gap_cells(p: GapProfile) -> set[tuple[str, str]]:
    """The (strand, level) cells a D2030 profile still has to climb."""
    cells = set()
    for strand, gap in p.levels.items():
        current = LEVELS.index(gap.current) if gap.current is not None else -1
        cells |= {(strand, level) for level in LEVELS[current + 1 : LEVELS.index(gap.target) + 1]}
    return cells


# --- events to ratings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "expected"), [(1, -1.0), (2, -0.5), (3, 0.0), (4, 0.5), (5, 1.0)]
)
def test_explicit_ratings_span_the_whole_scale(rating: int, expected: float) -> None:
    assert utility("rated", rating) == expected


def test_implicit_events_are_weak_or_silent() -> None:
    assert utility("viewed") is None and utility("started") is None
    assert utility("dismissed") is None  # may mean "already done elsewhere"
    assert utility("completed") == COMPLETED
    assert 0 < COMPLETED < 0.5 == utility("rated", 4)  # explicit ratings dominate


@pytest.mark.parametrize(
    ("event", "rating"),
    [
        ("liked", None),
        ("rated", None),
        ("rated", 0),
        ("rated", 6),
        ("rated", True),
        ("completed", 4),
    ],
)
def test_invalid_events_are_rejected(event: str, rating: Any) -> None:
    with pytest.raises(ValueError):
        utility(event, rating)


def test_rating_utility_must_lie_in_range() -> None:
    with pytest.raises(ValueError, match="utility"):
        Rating("s", "a", 1.5)
    with pytest.raises(ValueError, match="utility"):
        Rating("s", "a", float("nan"))


def test_events_combine_into_one_rating_per_pair() -> None:
    events: list[tuple[str, str, str, int | None]] = [
        ("s1", "A", "viewed", None),
        ("s1", "A", "started", None),
        ("s1", "A", "rated", 2),
        ("s1", "A", "completed", None),  # an implicit signal never beats an explicit one
        ("s1", "A", "rated", 5),  # the latest explicit rating wins
        ("s1", "B", "started", None),
        ("s1", "B", "completed", None),
        ("s1", "B", "dismissed", None),  # done: dismissed to hide it, still completed
        ("s2", "A", "started", None),
        ("s2", "A", "dismissed", None),  # dropped out
        ("s2", "B", "dismissed", None),  # never started: says nothing
        ("s2", "C", "viewed", None),
        ("s3", "C", "rated", 3),  # neutral is still an opinion
    ]
    assert ratings_from_events(events) == [
        Rating("s1", "A", 1.0),
        Rating("s1", "B", COMPLETED),
        Rating("s2", "A", ABANDONED),
        Rating("s3", "C", 0.0),
    ]


def test_invalid_event_in_a_stream_raises() -> None:
    with pytest.raises(ValueError, match="unknown feedback event"):
        ratings_from_events([("s", "a", "clicked", None)])


# --- the estimator -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(frameworks: list[Framework]) -> GapRanker:
    catalogue = [activity(f"A{i}", f"{D2030}:1.1:embedding") for i in range(4)] + [
        activity("B0", f"{D2030}:1.2:embedding")
    ]
    return make_ranker().fit(frameworks, catalogue)


GAP_11 = {"1.1": {"current": "exploring", "target": "embedding"}}


@pytest.mark.parametrize(
    "params",
    [
        {"strength": 1.0},
        {"strength": -0.1},
        {"strength": float("nan")},
        {"shrinkage": -1.0},
        {"shrinkage": float("inf")},
    ],
)
def test_invalid_parameters_are_rejected_at_fit(small: GapRanker, params: dict[str, float]) -> None:
    booster = FeedbackBooster(**params)  # the constructor only stores them
    with pytest.raises(ValueError):
        booster.fit(small, {}, [])


def test_clone_keeps_params_and_unfitted_refuses(small: GapRanker) -> None:
    booster = FeedbackBooster(strength=0.3, shrinkage=1.0)
    assert clone(booster).get_params() == {"strength": 0.3, "shrinkage": 1.0}
    with pytest.raises(NotFittedError):
        booster.factors(small.query_vector(gap_profile(levels=GAP_11)), np.arange(4))


def test_no_usable_ratings_give_factors_of_exactly_one(small: GapRanker) -> None:
    q = small.query_vector(gap_profile(levels=GAP_11))
    rows = np.arange(5, dtype=np.intp)
    unknown = {
        "stale": parse_profile({"framework": "retired-framework", "levels": {}}),
        "no-gap": gap_profile(levels={"1.1": {"current": "embedding", "target": "embedding"}}),
        "rater": gap_profile(levels=GAP_11),
    }
    ignored = [
        Rating("nobody", "A0", 1.0),  # no profile
        Rating("stale", "A0", 1.0),  # a profile the ranker cannot read
        Rating("no-gap", "A0", 1.0),  # nobody can resemble them
        Rating("rater", "ZZZ", 1.0),  # not in the catalogue
    ]
    for ratings in ([], ignored):
        booster = FeedbackBooster().fit(small, unknown, ratings)
        assert booster.n_ratings_ == 0
        assert booster.factors(q, rows).tolist() == [1.0] * 5


def test_factor_follows_the_shrunk_weighted_mean(small: GapRanker) -> None:
    p = gap_profile(levels=GAP_11)
    raters = {"twin": p, "other": gap_profile(levels={"1.4": {"target": "embedding"}})}
    ratings = [
        Rating("twin", "A1", 1.0),
        Rating("twin", "A2", 1.0),
        Rating("twin", "A2", -0.5),  # of two ratings of a pair, the last counts
        Rating("other", "A1", -1.0),  # no overlap with p: weight 0
        Rating("twin", "A3", 0.0),
    ]
    booster = FeedbackBooster(strength=0.5, shrinkage=1.0).fit(small, raters, ratings)
    assert booster.n_ratings_ == 4
    f = booster.factors(small.query_vector(p), np.arange(5, dtype=np.intp))
    # twin has similarity 1: A1 → 1 + .5·1/(1+1), A2 → 1 + .5·(-.5)/2, A3 rated neutral
    assert f == pytest.approx([1.0, 1.25, 0.875, 1.0, 1.0])
    assert [r.activity for r in small.rank(p, 4, adjuster=booster)][:2] == ["A1", "A0"]
    with pytest.raises(ValueError, match="cells"):
        booster.factors(np.ones(3), np.arange(2, dtype=np.intp))


def test_pickle_round_trip(small: GapRanker) -> None:
    p = gap_profile(levels=GAP_11)
    booster = FeedbackBooster().fit(small, {"s": p}, [Rating("s", "A3", 1.0)])
    again = pickle.loads(pickle.dumps(booster))
    rows = np.arange(5, dtype=np.intp)
    q = small.query_vector(p)
    assert again.factors(q, rows).tolist() == booster.factors(q, rows).tolist()
    assert small.rank(p, adjuster=again) == small.rank(p, adjuster=booster)
    assert small.rank(p, adjuster=booster)[0].activity == "A3"


# --- simulated feedback ------------------------------------------------------------------------


def random_profile(rng: np.random.Generator, constrained: float = 0.3) -> GapProfile:
    """A practitioner's gaps on 1–3 strands, sometimes priorities and hard constraints."""
    strands = rng.choice(STRANDS, size=int(rng.integers(1, 4)), replace=False)
    levels: dict[str, dict[str, str | None]] = {}
    for strand in strands:
        current = int(rng.integers(-1, 2))  # -1: not yet at the first level
        target = int(rng.integers(current + 1, 3))
        levels[str(strand)] = {
            "current": LEVELS[current] if current >= 0 else None,
            "target": LEVELS[target],
        }
    priorities = {str(s): float(rng.choice([0.5, 1.0, 2.0])) for s in strands if rng.random() < 0.3}
    constraints: dict[str, Any] = {}
    if rng.random() < constrained:
        constraints["formats"] = [
            str(f) for f in rng.choice(FORMATS, size=int(rng.integers(2, 5)), replace=False)
        ]
    if rng.random() < constrained:
        constraints["max_cost"] = float(rng.choice([0, 100]))
    if rng.random() < constrained:
        constraints["max_duration_hours"] = float(rng.choice([3, 8]))
    return gap_profile(levels=levels, priorities=priorities, constraints=constraints)


def synthetic_catalogue(rng: np.random.Generator) -> tuple[list[Activity], dict[str, float]]:
    """120 activities on 1–3 D2030 cells each (about 15 per cell, so relevance ties and near
    ties abound, as tags are coarse), each with a hidden true usefulness in [-1, 1]: what the
    tags cannot tell."""
    cells = [f"{D2030}:{s}:{lv}" for s in STRANDS for lv in LEVELS]
    catalogue, quality = [], {}
    for i in range(120):
        n_tags = int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))
        a = activity(
            f"X{i:03d}",
            *rng.choice(cells, size=n_tags, replace=False).tolist(),
            format=str(rng.choice(FORMATS)),
            duration_hours=float(rng.choice([1, 2, 3, 6, 12])),
            cost=float(rng.choice([0, 0, 50, 150])),
        )
        catalogue.append(a)
        quality[a.id] = float(np.clip(rng.normal(0, 0.5), -1, 1))
    return catalogue, quality


def feedback_events(
    ranker: GapRanker,
    raters: dict[str, GapProfile],
    quality: dict[str, float],
    rng: np.random.Generator,
    noise_share: float = 0.15,
) -> Iterator[tuple[str, str, str, int | None]]:
    """Each rater sees the plain ranker's top 5 and takes some (the higher, the likelier). What
    they get from one is its hidden quality plus noise (noise raters: anything); from that they
    finish or drop out, and often, not always, rate it."""
    lists = ranker.rank_many(raters.values(), 5)
    for subject, recs in zip(raters, lists, strict=True):
        noisy = rng.random() < noise_share
        for position, rec in enumerate(recs):
            yield subject, rec.activity, "viewed", None
            if rng.random() > 0.6 * 0.8**position:
                continue
            yield subject, rec.activity, "started", None
            felt = rng.uniform(-1, 1) if noisy else quality[rec.activity] + rng.normal(0, 0.3)
            finished = rng.random() < 0.55 + 0.35 * np.clip(felt, -1, 1)
            yield subject, rec.activity, "completed" if finished else "dismissed", None
            if rng.random() < 0.7:
                yield subject, rec.activity, "rated", int(np.clip(np.rint(3 + 2 * felt), 1, 5))


@dataclass
class World:
    ranker: GapRanker
    quality: dict[str, float]
    raters: dict[str, GapProfile]
    ratings: list[Rating]
    held_out: list[GapProfile]


def make_world(frameworks: list[Framework], seed: int) -> World:
    rng = np.random.default_rng(seed)
    catalogue, quality = synthetic_catalogue(rng)
    ranker = make_ranker().fit(frameworks, catalogue)
    raters = {f"r{i:04d}": random_profile(rng) for i in range(600)}
    ratings = ratings_from_events(feedback_events(ranker, raters, quality, rng))
    held_out = [random_profile(rng) for _ in range(300)]
    return World(ranker, quality, raters, ratings, held_out)


@pytest.fixture(scope="module")
def worlds(frameworks: list[Framework]) -> list[World]:
    """Four independent simulated worlds: one world's figures carry its own luck (which items
    happen to sit next in line), which only several worlds average out."""
    return [make_world(frameworks, seed) for seed in (11, 12, 13, 14)]


@dataclass(frozen=True)
class Measured:
    quality: float  # mean hidden quality of a top 5, averaged over the held-out profiles
    poor: float  # share of top-5 items whose hidden quality is below -0.5
    relevance: float  # mean plain (feedback-free) gap relevance of a top 5


def measure(world: World, booster: FeedbackBooster | None) -> Measured:
    """Top-5 lists for the held-out profiles, judged against the hidden quality."""
    row = {str(a): i for i, a in enumerate(world.ranker.activity_ids_)}
    quality, poor, relevance = [], [], []
    lists = (
        world.ranker.rank_many(world.held_out, 5)
        if booster is None
        else (world.ranker.rank(p, 5, adjuster=booster) for p in world.held_out)
    )
    for p, recs in zip(world.held_out, lists, strict=True):
        top = ids(recs)
        if top:
            q = np.array([world.quality[a] for a in top])
            quality.append(q.mean())
            poor.append((q < -0.5).mean())
            relevance.append(world.ranker.relevance(p)[[row[a] for a in top]].mean())
    return Measured(float(np.mean(quality)), float(np.mean(poor)), float(np.mean(relevance)))


def test_feedback_measurably_improves_held_out_rankings(worlds: list[World]) -> None:
    gains, poor, kept = [], [], []
    for world in worlds:
        booster = FeedbackBooster().fit(world.ranker, world.raters, world.ratings)
        plain, boosted = measure(world, None), measure(world, booster)
        gains.append(boosted.quality - plain.quality)
        poor.append(boosted.poor / plain.poor)
        kept.append(boosted.relevance / plain.relevance)
        print(
            f"\n{len(world.ratings)} ratings from {len(booster.rater_ids_)} raters; held-out "
            f"top 5, plain vs with feedback: hidden quality {plain.quality:+.3f} vs "
            f"{boosted.quality:+.3f}, poor items {plain.poor:.1%} vs {boosted.poor:.1%}, gap "
            f"relevance {plain.relevance:.3f} vs {boosted.relevance:.3f}"
        )
    # measured (hidden quality of the top 5, plain → with feedback, per world): +0.003 → +0.202,
    # -0.041 → +0.198, +0.069 → +0.265, -0.006 → +0.249, gains 0.20–0.26 (mean 0.22, where the
    # quality spread is σ 0.5); poor items 13.5 → 6.3%, 21.8 → 11.0%, 11.1 → 3.4%, 20.9 → 6.2%
    # (ratio 0.39 on average); gap relevance kept at ≥ 99.0% of plain.
    assert np.mean(gains) > 0.1 and min(gains) > 0.05
    assert np.mean(poor) < 0.75
    assert min(kept) > 0.97  # the gaps still come first


def test_feedback_without_signal_costs_little(worlds: list[World]) -> None:
    """The same raters and pairs with random utilities: what moves is noise, so the top 5
    neither loses quality on average over the worlds nor drifts off the gaps."""
    losses, kept = [], []
    for seed, world in enumerate(worlds):
        rng = np.random.default_rng(seed)
        noise = [Rating(r.subject, r.activity, float(rng.uniform(-1, 1))) for r in world.ratings]
        booster = FeedbackBooster().fit(world.ranker, world.raters, noise)
        plain, noisy = measure(world, None), measure(world, booster)
        losses.append(plain.quality - noisy.quality)
        kept.append(noisy.relevance / plain.relevance)
        print(
            f"\nrandom utilities, plain vs with feedback: hidden quality {plain.quality:+.3f} vs "
            f"{noisy.quality:+.3f}, gap relevance {plain.relevance:.3f} vs {noisy.relevance:.3f}"
        )
    # measured: +0.003 → +0.026, -0.041 → -0.061, +0.069 → +0.066, -0.006 → +0.014, so losses
    # of -0.023, +0.020, +0.003 and -0.020 (mean -0.005: noise); gap relevance kept at ≥ 99.4%.
    assert np.mean(losses) < 0.03 and max(losses) < 0.08
    assert min(kept) > 0.97


# --- locality and hard limits ------------------------------------------------------------------


def test_ratings_from_people_with_other_gaps_change_nothing(
    ranker: GapRanker, activities: list[Activity]
) -> None:
    p = gap_profile(
        levels={
            "1.1": {"current": None, "target": "transforming"},
            "1.2": {"current": "exploring", "target": "embedding"},
        }
    )
    plain = ranker.rank(p, 10)
    top = set(ids(plain[:5]))
    elsewhere = {
        "e1": gap_profile(levels={"1.3": {"current": None, "target": "transforming"}}),
        "e2": gap_profile(levels={"1.4": {"current": "exploring", "target": "embedding"}}),
        "e3": parse_profile({"framework": "naace-srf-5a", "levels": {"5a-4": {"target": "1"}}}),
    }
    # they rate everything, this profile's plain top 5 worst and all the rest best
    ratings = [Rating(s, a.id, -1.0 if a.id in top else 1.0) for s in elsewhere for a in activities]
    booster = FeedbackBooster(strength=0.9, shrinkage=0.0).fit(ranker, elsewhere, ratings)
    assert booster.n_ratings_ == len(ratings)
    all_rows = np.arange(len(ranker.activity_ids_), dtype=np.intp)
    assert booster.factors(ranker.query_vector(p), all_rows).tolist() == [1.0] * len(all_rows)
    assert ranker.rank(p, 10, adjuster=booster) == plain
    # the very same ratings from one person who shares a gap do reorder it
    near = {"n1": gap_profile(levels={"1.2": {"current": None, "target": "embedding"}})}
    same = [Rating("n1", r.activity, r.utility) for r in ratings if r.subject == "e1"]
    moved = FeedbackBooster(strength=0.9, shrinkage=0.0).fit(ranker, near, same)
    assert top - set(ids(ranker.rank(p, 5, adjuster=moved)))


def test_feedback_never_breaks_a_constraint_or_leaves_the_gaps(
    ranker: GapRanker, activities: list[Activity]
) -> None:
    """Raters who resemble everyone adore a random half of the activities that some constraint
    would rule out and pan the rest, at the strongest setting; across random profiles nothing
    off-gap or forbidden ever shows up, though favoured activities often serve a gap."""

    def fails_some_limit(a: Activity) -> bool:
        return a.format != "online" or a.cost != 0 or not (a.duration_hours or 99) <= 3

    everyone = {
        f"all{k}": gap_profile(
            levels={s: {"current": None, "target": "transforming"} for s in STRANDS}
        )
        for k in range(3)
    }
    rng = np.random.default_rng(3)
    favoured = {a.id for a in activities if fails_some_limit(a) and rng.random() < 0.5}
    ratings = [
        Rating(s, a.id, 1.0 if a.id in favoured else -1.0) for s in everyone for a in activities
    ]
    booster = FeedbackBooster(strength=0.99, shrinkage=0.0).fit(ranker, everyone, ratings)
    by_id = {a.id: a for a in activities}
    changed = tempted = 0
    for _ in range(200):
        p = random_profile(rng, constrained=0.6)
        c = p.constraints
        boosted = ranker.rank(p, 10, adjuster=booster)
        eligible = set(np.asarray(ranker.activity_ids_)[ranker.relevance(p) > 0])
        unconstrained = p.model_copy(update={"constraints": type(c)()})
        on_gap = set(np.asarray(ranker.activity_ids_)[ranker.relevance(unconstrained) > 0])
        tempted += bool((on_gap - eligible) & favoured)
        changed += ids(boosted) != ids(ranker.rank(p, 10))
        assert set(ids(boosted)) <= eligible
        for rec in boosted:
            a = by_id[rec.activity]
            assert rec.addresses and {(t.strand, t.level) for t in rec.addresses} <= gap_cells(p)
            assert c.formats is None or a.format in c.formats
            assert c.max_duration_hours is None or (
                a.duration_hours is not None and a.duration_hours <= c.max_duration_hours
            )
            assert c.max_cost is None or (a.cost is not None and a.cost <= c.max_cost)
    print(
        f"\nconstraints held on 200 profiles; {changed} reordered, {tempted} with a favoured "
        "on-gap activity filtered out"
    )
    # measured: 85 of 200 lists reordered, 182 profiles with a favoured on-gap activity filtered
    assert changed > 50 and tempted > 100
