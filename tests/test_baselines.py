"""Baseline rankers: the product's contract (constraints, no gap, determinism) and their own
orderings on tiny synthetic catalogues."""

from __future__ import annotations

import math
import pickle

import pytest
from sklearn.base import clone

from recommender.activities import Activity
from recommender.baselines import (
    Baseline,
    BM25Retrieval,
    PopularityRanker,
    RandomRanker,
    StrandMatchRanker,
    TfidfRetrieval,
    baselines,
    gap_text,
)
from recommender.errors import InvalidInput
from recommender.frameworks import Framework
from recommender.metrics import violates
from recommender.profiles import GapProfile, gaps
from tests.conftest import PROFILE, activity

NAMES = sorted(baselines())


def make(name: str, random_state: int = 0) -> Baseline:
    return baselines(random_state)[name]


@pytest.fixture(scope="module")
def fitted(frameworks: list[Framework], activities: list[Activity]) -> dict[str, Baseline]:
    return {name: b.fit(frameworks, activities) for name, b in baselines().items()}


def profile(**changes: object) -> GapProfile:
    return GapProfile.model_validate({**PROFILE, **changes})


CONSTRAINED = [
    {"max_cost": 0},
    {"formats": ["online", "self-paced"], "max_duration_hours": 6},
    {"formats": ["mentoring"]},
    {"max_duration_hours": 1.5, "max_cost": 20},
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("constraints", CONSTRAINED)
def test_never_returns_an_activity_that_breaks_a_constraint(
    name: str,
    constraints: dict[str, object],
    fitted: dict[str, Baseline],
    activities: list[Activity],
) -> None:
    p = profile(constraints=constraints, query="learners' data on the VLE")
    by_id = {a.id: a for a in activities}
    recs = fitted[name].rank(p, limit=50)
    assert not [r.activity for r in recs if violates(by_id[r.activity], p.constraints)]
    allowed = [a for a in activities if not violates(a, p.constraints)]
    assert len(recs) <= len(allowed)


@pytest.mark.parametrize("name", NAMES)
def test_contract(name: str, fitted: dict[str, Baseline], frameworks: list[Framework]) -> None:
    b = fitted[name]
    recs = b.rank(profile(), limit=5)
    assert 0 < len(recs) <= 5
    scores = [r.score for r in recs]
    assert all(math.isfinite(s) and 0 < s <= 1 for s in scores)
    assert scores == sorted(scores, reverse=True) and scores[0] == 1.0
    assert len({r.activity for r in recs}) == len(recs)
    assert b.rank(profile(levels={"1.1": {"current": "embedding", "target": "embedding"}})) == []
    assert b.rank(profile(), limit=0) == []
    assert [r.activity for r in b.rank(profile(), limit=500)][:5] == [r.activity for r in recs]
    assert list(b.rank_many([profile(), profile()], 5)) == [recs, recs]
    assert pickle.loads(pickle.dumps(b)).rank(profile(), 5) == recs
    assert clone(b).get_params() == b.get_params()
    with pytest.raises(InvalidInput):
        b.rank(profile(framework="no-such-framework"))
    assert make(name).fit(frameworks, []).rank(profile()) == []


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_and_independent_of_call_order(
    name: str, frameworks: list[Framework], activities: list[Activity]
) -> None:
    other = profile(id="P02", levels={"1.2": {"current": None, "target": "embedding"}})
    first = make(name).fit(frameworks, activities)
    second = make(name).fit(frameworks, activities)
    a = [first.rank(profile()), first.rank(other)]
    b = [second.rank(other), second.rank(profile())][::-1]
    assert a == b


def test_random_orders_differ_by_seed(
    frameworks: list[Framework], activities: list[Activity]
) -> None:
    lists = {
        tuple(
            r.activity
            for r in RandomRanker(random_state=s).fit(frameworks, activities).rank(profile(), 10)
        )
        for s in range(3)
    }
    assert len(lists) == 3


# A tiny world: d2030 gap on 1.1 (exploring -> embedding) and 1.3 (null -> exploring).
TINY_PROFILE = {
    "id": "T",
    "framework": "d2030-commitment",
    "levels": {
        "1.1": {"current": "exploring", "target": "embedding"},
        "1.3": {"current": None, "target": "exploring"},
    },
    "priorities": {"1.3": 2.0},
}
TINY = [
    activity("both", "d2030-commitment:1.1:transforming", "d2030-commitment:1.3:transforming"),
    activity("on-1.3", "d2030-commitment:1.3:exploring"),
    activity("on-1.1", "d2030-commitment:1.1:embedding"),
    activity("off-gap", "d2030-commitment:1.2:embedding", "d2030-commitment:1.4:embedding"),
    activity(
        "broad",
        "naace-srf-5a:5a-1:3",
        "naace-srf-5a:5a-2:3",
        "naace-srf-5a:5a-3:3",
        "naace-srf-5a:5a-4:3",
    ),
    activity("untagged"),
]


def tiny_rank(ranker: Baseline, frameworks: list[Framework], **changes: object) -> list[str]:
    p = GapProfile.model_validate({**TINY_PROFILE, **changes})
    return [r.activity for r in ranker.fit(frameworks, TINY).rank(p, 10)]


def test_strand_match_ignores_levels_and_weighs_priorities(frameworks: list[Framework]) -> None:
    """Level-blind: a transforming activity counts like an exploring one on the same strand."""
    assert tiny_rank(StrandMatchRanker(), frameworks) == ["both", "on-1.3", "on-1.1"]


def test_popularity_is_the_same_broadest_first_list_for_everyone(
    frameworks: list[Framework],
) -> None:
    ranked = tiny_rank(PopularityRanker(), frameworks)
    assert ranked[0] == "broad" and ranked[-1] == "untagged" and len(ranked) == len(TINY)
    assert set(ranked[1:3]) == {"both", "off-gap"}
    other = {"1.2": {"current": None, "target": "exploring"}}
    assert tiny_rank(PopularityRanker(), frameworks, levels=other) == ranked


def test_random_returns_every_allowed_activity(frameworks: list[Framework]) -> None:
    assert sorted(tiny_rank(RandomRanker(), frameworks)) == sorted(a.id for a in TINY)
    mentoring = tiny_rank(RandomRanker(), frameworks, constraints={"formats": ["mentoring"]})
    assert mentoring == []


TEXTS = [
    activity(
        "on-topic",
        title="Looking after learners' data",
        description="Storing learner data safely, data protection and privacy for tutors.",
    ),
    activity(
        "long-on-topic",
        title="Looking after learners' data",
        description="Storing learner data safely. " + "Catering, fire drills and parking. " * 20,
    ),
    activity("off-topic", title="Forklift licence", description="Warehouse forklift safety."),
]


@pytest.mark.parametrize("ranker", [TfidfRetrieval(), BM25Retrieval()], ids=["tfidf", "bm25"])
def test_text_retrieval_prefers_matching_focused_text(
    ranker: Baseline, frameworks: list[Framework]
) -> None:
    p = GapProfile.model_validate(
        {
            "framework": "d2030-commitment",
            "levels": {"1.3": {"current": None, "target": "exploring"}},
            "query": "data protection",
        }
    )
    ranked = [r.activity for r in ranker.fit(frameworks, TEXTS).rank(p, 10)]
    assert ranked == ["on-topic", "long-on-topic"]  # no shared word: not retrieved


def test_bm25_saturates_term_frequency(frameworks: list[Framework]) -> None:
    """Repeating a word helps less and less (k1), unlike raw counts."""
    docs = [
        activity(f"x{n}", title="Course", description=("privacy " * n) + "course notes")
        for n in (1, 2, 8)
    ]
    bm25 = BM25Retrieval().fit(frameworks, docs)
    p = GapProfile.model_validate(
        {
            "framework": "d2030-commitment",
            "levels": {"1.3": {"current": None, "target": "exploring"}},
            "query": "privacy",
        }
    )
    recs = bm25.rank(p, 10)
    assert [r.activity for r in recs] == ["x8", "x2", "x1"]
    assert recs[2].score > 1 / 3  # eight times the word, not eight times the score


def test_gap_text_holds_the_gap_levels_statements_and_the_query(
    frameworks: list[Framework],
) -> None:
    d2030 = frameworks[0]
    p = GapProfile.model_validate({**TINY_PROFILE, "query": "my own words"})
    text = gap_text(p, d2030, gaps(p, d2030))
    assert all(s in text for s in d2030.statements("1.1", "embedding"))
    assert all(s in text for s in d2030.statements("1.3", "exploring"))
    assert not any(s in text for s in d2030.statements("1.1", "exploring"))
    assert not any(s in text for s in d2030.statements("1.1", "transforming"))
    assert text.endswith("my own words")
