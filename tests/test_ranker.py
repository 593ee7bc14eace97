from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from recommender import TagInferrer
from recommender.activities import FORMATS, Activity
from recommender.frameworks import Framework
from recommender.profiles import Constraints, GapProfile, parse_profile
from recommender.ranker import GapRanker
from tests.conftest import activity


def gap_profile(**fields: Any) -> GapProfile:
    return parse_profile({"framework": "d2030-commitment", **fields})


class RankerContract:
    """What any ranker in this project must satisfy (LensKit-style contract tests)."""

    def make(self) -> GapRanker:
        raise NotImplementedError

    @pytest.fixture
    def fitted(self, frameworks: list[Framework], activities: list[Activity]) -> GapRanker:
        return self.make().fit(frameworks, activities)

    def test_scores_finite_non_increasing_and_ids_unique(self, fitted: GapRanker) -> None:
        p = gap_profile(
            levels={
                s: {"current": None, "target": "transforming"} for s in ("1.1", "1.2", "1.3", "1.4")
            }
        )
        recs = fitted.rank(p, 10)
        scores = [r.score for r in recs]
        assert len(recs) == 10
        assert all(np.isfinite(scores)) and scores == sorted(scores, reverse=True)
        assert len({r.activity for r in recs}) == len(recs)

    def test_deterministic(
        self, fitted: GapRanker, frameworks: list[Framework], activities: list[Activity]
    ) -> None:
        p = gap_profile(levels={"1.2": {"current": "exploring", "target": "transforming"}})
        again = self.make().fit(frameworks, activities)
        assert fitted.rank(p, 8) == fitted.rank(p, 8) == again.rank(p, 8)

    def test_pickle_round_trip(self, fitted: GapRanker) -> None:
        p = gap_profile(levels={"1.4": {"current": None, "target": "embedding"}})
        assert pickle.loads(pickle.dumps(fitted)).rank(p) == fitted.rank(p)

    def test_limit_larger_than_catalogue(self, frameworks: list[Framework]) -> None:
        small = [
            activity("X1", "d2030-commitment:1.1:exploring"),
            activity("X2", "d2030-commitment:1.1:embedding"),
        ]
        fitted = self.make().fit(frameworks, small)
        p = gap_profile(levels={"1.1": {"current": None, "target": "transforming"}})
        assert [r.activity for r in fitted.rank(p, 50)] == ["X1", "X2"]

    def test_empty_catalogue(self, frameworks: list[Framework]) -> None:
        fitted = self.make().fit(frameworks, [])
        assert fitted.rank(gap_profile(levels={"1.1": {"target": "embedding"}})) == []

    def test_clone_keeps_params(self) -> None:
        ranker = self.make()
        assert repr(clone(ranker).get_params()) == repr(ranker.get_params())


class TestGapRanker(RankerContract):
    def make(self) -> GapRanker:
        return GapRanker()


class TestGapRankerWithTagger(RankerContract):
    def make(self) -> GapRanker:
        return GapRanker(tagger=TagInferrer())


def test_unfitted_ranker_refuses() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        GapRanker().rank(gap_profile())


def test_invalid_parameters_are_rejected_at_fit(frameworks: list[Framework]) -> None:
    with pytest.raises(ValueError, match="diversity"):
        GapRanker(diversity=2).fit(frameworks, [])


def test_next_level_on_top_priority_gap_beats_met_strand(frameworks: list[Framework]) -> None:
    catalogue = [
        activity("MET", "d2030-commitment:1.1:embedding"),
        activity("LOW", "d2030-commitment:1.2:embedding"),
        activity("NEXT", "d2030-commitment:1.3:embedding"),
        activity("FAR", "d2030-commitment:1.3:transforming"),
    ]
    ranker = GapRanker().fit(frameworks, catalogue)
    p = gap_profile(
        levels={
            "1.1": {"current": "embedding", "target": "embedding"},
            "1.2": {"current": "exploring", "target": "embedding"},
            "1.3": {"current": "exploring", "target": "transforming"},
        },
        priorities={"1.3": 3.0},
    )
    ranked = [r.activity for r in ranker.rank(p, 5)]
    assert ranked[0] == "NEXT"
    assert "MET" not in ranked
    rel = dict(zip(ranker.activity_ids_, ranker.relevance(p), strict=True))
    assert rel["NEXT"] > rel["FAR"] > 0 and rel["NEXT"] > rel["LOW"] > 0 and rel["MET"] == 0


def test_levels_reached_or_beyond_target_count_for_nothing(frameworks: list[Framework]) -> None:
    catalogue = [
        activity("REACHED", "d2030-commitment:1.1:exploring"),
        activity("BEYOND", "d2030-commitment:1.1:transforming"),
    ]
    ranker = GapRanker().fit(frameworks, catalogue)
    p = gap_profile(levels={"1.1": {"current": "exploring", "target": "embedding"}})
    assert ranker.rank(p) == []


def test_no_gap_no_items(ranker: GapRanker) -> None:
    p = gap_profile(
        levels={
            s: {"current": "transforming", "target": "transforming"}
            for s in ("1.1", "1.2", "1.3", "1.4")
        }
    )
    assert ranker.rank(p) == []
    assert ranker.rank(gap_profile()) == []


def test_top_k_spans_several_gap_strands(ranker: GapRanker) -> None:
    p = gap_profile(
        levels={
            s: {"current": "exploring", "target": "transforming"}
            for s in ("1.1", "1.2", "1.3", "1.4")
        }
    )
    strands = [r.addresses[0].strand for r in ranker.rank(p, 5)]
    assert set(strands) == {"1.1", "1.2", "1.3", "1.4"}


def test_diversity_is_what_spreads_the_list(frameworks: list[Framework]) -> None:
    catalogue = [activity(f"S{i}", "d2030-commitment:1.3:embedding") for i in range(4)] + [
        activity("OTHER", "d2030-commitment:1.1:embedding")
    ]
    p = gap_profile(
        levels={
            "1.3": {"current": "exploring", "target": "embedding"},
            "1.1": {"current": "exploring", "target": "embedding"},
        },
        priorities={"1.3": 1.5},
    )
    plain = [r.activity for r in GapRanker(diversity=0).fit(frameworks, catalogue).rank(p, 3)]
    diverse = [r.activity for r in GapRanker().fit(frameworks, catalogue).rank(p, 3)]
    assert "OTHER" not in plain
    assert diverse[:2] == ["S0", "OTHER"]


def test_every_item_explains_its_gap(ranker: GapRanker) -> None:
    p = parse_profile(
        {"framework": "naace-srf-5a", "levels": {"5a-4": {"current": "4", "target": "2"}}}
    )
    recs = ranker.rank(p, 3)
    assert recs
    for rec in recs:
        assert rec.addresses and rec.addresses[0].strand == "5a-4"
        assert rec.addresses[0].level in {"3", "2"}
        assert "5a-4 Meeting digital safeguarding needs" in rec.why
        assert "your school" in rec.why and rec.why.endswith(".")


def test_query_sharpens_the_ranking(frameworks: list[Framework]) -> None:
    catalogue = [
        activity("A", "d2030-commitment:1.3:embedding", title="Data protection in assessment"),
        activity(
            "B",
            "d2030-commitment:1.3:embedding",
            title="Keeping VLE records secure",
            description="Storing learner records on the virtual learning environment.",
        ),
    ]
    ranker = GapRanker().fit(frameworks, catalogue)
    levels = {"1.3": {"current": "exploring", "target": "embedding"}}
    assert ranker.rank(gap_profile(levels=levels))[0].activity == "A"
    recs = ranker.rank(gap_profile(levels=levels, query="how records are stored on our VLE"))
    assert recs[0].activity == "B"
    assert "“vle”" in recs[0].why or "“records”" in recs[0].why


def test_query_never_brings_in_off_gap_items(frameworks: list[Framework]) -> None:
    catalogue = [activity("OFF", "d2030-commitment:1.1:embedding", title="VLE data storage")]
    ranker = GapRanker().fit(frameworks, catalogue)
    p = gap_profile(
        levels={"1.3": {"current": "exploring", "target": "embedding"}}, query="VLE data storage"
    )
    assert ranker.rank(p) == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    formats=st.none() | st.lists(st.sampled_from(FORMATS), min_size=1, unique=True),
    max_hours=st.none() | st.floats(0, 40),
    max_cost=st.none() | st.sampled_from([0, 50, 200]),
    strands=st.lists(st.sampled_from(["1.1", "1.2", "1.3", "1.4"]), min_size=1, unique=True),
)
def test_constraints_are_never_violated(
    ranker: GapRanker,
    activities: list[Activity],
    formats: list[str] | None,
    max_hours: float | None,
    max_cost: float | None,
    strands: list[str],
) -> None:
    p = gap_profile(
        levels={s: {"current": None, "target": "transforming"} for s in strands},
        constraints={"formats": formats, "max_duration_hours": max_hours, "max_cost": max_cost},
    )
    by_id = {a.id: a for a in activities}
    for rec in ranker.rank(p, 20):
        a = by_id[rec.activity]
        assert formats is None or a.format in formats
        assert max_hours is None or (a.duration_hours is not None and a.duration_hours <= max_hours)
        assert max_cost is None or (a.cost is not None and a.cost <= max_cost)
        assert rec.addresses[0].strand in strands


def test_constraints_do_filter_something(ranker: GapRanker) -> None:
    levels = {s: {"current": None, "target": "transforming"} for s in ("1.1", "1.2")}
    free = ranker.rank(gap_profile(levels=levels, constraints={"max_cost": 0}), 50)
    anything = ranker.rank(gap_profile(levels=levels), 50)
    assert 0 < len(free) < len(anything)


def test_rank_many_matches_rank(ranker: GapRanker) -> None:
    profiles = [
        gap_profile(levels={s: {"current": None, "target": "embedding"}})
        for s in ("1.1", "1.2", "1.3")
    ]
    assert list(ranker.rank_many(profiles, 4)) == [ranker.rank(p, 4) for p in profiles]


def test_excluded_activities_are_never_offered(ranker: GapRanker) -> None:
    p = gap_profile(levels={"1.3": {"current": None, "target": "transforming"}})
    before = [r.activity for r in ranker.rank(p, 5)]
    after = [r.activity for r in ranker.rank(p, 5, exclude={before[0], before[2]})]
    assert before[0] not in after and before[2] not in after
    assert before[1] in after and len(after) == 5


class _Favour:
    """An adjuster that multiplies one activity's relevance and records what it was asked."""

    def __init__(self, ranker: GapRanker, activity_id: str, factor: float) -> None:
        self.row = list(ranker.activity_ids_).index(activity_id)
        self.factor = factor
        self.queries: list[float] = []

    def factors(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        self.queries.append(float(np.linalg.norm(query)))
        return np.where(rows == self.row, self.factor, 1.0)


def test_adjuster_reorders_only_activities_that_serve_a_gap(ranker: GapRanker) -> None:
    p = gap_profile(levels={"1.3": {"current": None, "target": "transforming"}})
    plain = [r.activity for r in ranker.rank(p, 10)]
    raise_last = _Favour(ranker, plain[-1], 100.0)
    assert ranker.rank(p, 10, adjuster=raise_last)[0].activity == plain[-1]
    assert raise_last.queries == [pytest.approx(1.0)]  # given the unit query vector
    sink_first = _Favour(ranker, plain[0], 0.0)
    assert plain[0] not in [r.activity for r in ranker.rank(p, 10, adjuster=sink_first)]


def test_adjuster_cannot_bring_in_off_gap_or_filtered_items(frameworks: list[Framework]) -> None:
    catalogue = [
        activity("ON", "d2030-commitment:1.3:embedding", cost=100),
        activity("OFF", "d2030-commitment:1.1:embedding"),
    ]
    ranker = GapRanker().fit(frameworks, catalogue)
    favour_all = _Favour(ranker, "OFF", 1e6)
    gap = {"1.3": {"current": "exploring", "target": "embedding"}}
    assert [r.activity for r in ranker.rank(gap_profile(levels=gap), adjuster=favour_all)] == ["ON"]
    free_only = gap_profile(levels=gap, constraints={"max_cost": 0})
    assert ranker.rank(free_only, adjuster=_Favour(ranker, "ON", 1e6)) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"framework": "no-such-framework"},
        {"levels": {"9.9": {"target": "embedding"}}},
        {"levels": {"1.1": {"current": "nowhere", "target": "embedding"}}},
        {"levels": {"1.1": {"current": "embedding", "target": "nowhere"}}},
        {"levels": {"1.1": {"current": "transforming", "target": "exploring"}}},
        {"levels": {"1.1": {"target": "embedding"}}, "priorities": {"9.9": 2.0}},
        {
            "levels": {"9.9": {"target": "embedding"}, "1.2": {"target": "x"}},
            "priorities": {"8.8": 1.0},
        },
    ],
)
def test_invalid_profiles_fail_as_check_profile_says(
    ranker: GapRanker, framework_map: dict[str, Framework], fields: dict[str, Any]
) -> None:
    """The ranker reads valid profiles on a fast path; invalid ones get check_profile's words."""
    from recommender.errors import InvalidInput
    from recommender.profiles import check_profile

    profile = parse_profile({"framework": "d2030-commitment", **fields})
    with pytest.raises(InvalidInput) as expected:
        check_profile(profile, framework_map)
    for call in (lambda: ranker.rank(profile), lambda: list(ranker.rank_many([profile]))):
        with pytest.raises(InvalidInput) as raised:
            call()
        assert raised.value.problems == expected.value.problems


@given(
    levels=st.dictionaries(
        st.sampled_from(["1.1", "1.2", "1.3", "1.4"]),
        st.tuples(
            st.sampled_from([None, "exploring", "embedding", "transforming"]),
            st.sampled_from(["exploring", "embedding", "transforming"]),
        ),
        max_size=5,
    ),
    priorities=st.dictionaries(
        st.sampled_from(["1.1", "1.2", "1.3"]), st.sampled_from([0.0, 0.5, 1.0, 2.0])
    ),
)
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_query_vector_weighs_the_gaps_as_the_cell_space_does(
    ranker: GapRanker,
    framework_map: dict[str, Framework],
    levels: dict[str, tuple[str | None, str]],
    priorities: dict[str, float],
) -> None:
    """The ranker's own reading of a profile's gaps gives CellSpace.query_vector's weights."""
    from recommender.profiles import gaps

    rank = {None: -1, "exploring": 0, "embedding": 1, "transforming": 2}
    ordered = {s: (c, t) for s, (c, t) in levels.items() if rank[c] <= rank[t]}  # valid only
    profile = gap_profile(
        levels={s: {"current": c, "target": t} for s, (c, t) in ordered.items()},
        priorities=priorities,
    )
    framework = framework_map["d2030-commitment"]
    expected = ranker.space_.query_vector(
        framework,
        gaps(profile, framework),
        further_level_decay=ranker.further_level_decay,
        gap_size_exponent=ranker.gap_size_exponent,
    )
    norm = np.linalg.norm(expected)
    assert np.array_equal(ranker.query_vector(profile), expected / norm if norm else expected)


@pytest.mark.parametrize("dense_sums", [0, 10**9])  # the sorted and the catalogue-long sums
def test_relevance_is_the_csr_product_exactly(
    dense_sums: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read through the gap cells' columns, relevance is `items_ @ q` to the last bit, and so
    what `rank_many`'s sparse product gives (no query text, no constraints here)."""
    from benchmarks.synthetic import Synthetic
    from recommender import ranker as ranker_module

    monkeypatch.setattr(ranker_module, "DENSE_SUMS", dense_sums)
    synthetic = Synthetic.make(2)
    # activities tagged in several cells of one gap are those whose sums have three terms
    ranker = GapRanker().fit([synthetic.framework], synthetic.activities(600))
    checked = 0
    for profile in synthetic.profiles(300, seed=3):
        plain = profile.model_copy(update={"query": None, "constraints": Constraints()})
        relevance = ranker.relevance(plain)
        assert np.array_equal(relevance, ranker.items_ @ ranker.query_vector(plain))
        checked += int(relevance.any())
    assert checked > 250


def test_one_request_diversifies_as_a_batch_does(ranker: GapRanker) -> None:
    """The single-request diversity step (plain Python, by groups of alike items) picks what
    the batched numpy one picks, with the same scores, on the starter catalogue's many
    multi-strand activities and on a synthetic catalogue."""
    from benchmarks.synthetic import Synthetic
    from recommender.diversity import diversify, diversify_one

    synthetic = Synthetic.make(4)
    other = GapRanker(diversity=0.9).fit([synthetic.framework], synthetic.activities(800))
    profiles = [
        gap_profile(levels={s: {"current": c, "target": "transforming"} for s in strands})
        for strands in (("1.1",), ("1.1", "1.2"), ("1.2", "1.3", "1.4"), ("1.1", "1.2", "1.3"))
        for c in (None, "exploring")
    ]
    compared = 0
    for fitted, batch in ((ranker, profiles), (other, list(synthetic.profiles(200, seed=6)))):
        for limit in (1, 5, 12):
            pools = [fitted._pool(s, limit) for s in fitted._score_many(batch)[0]]
            args = (fitted.items_, fitted.space_.strand_of_cell, len(fitted.space_.strands))
            together = diversify(*args, pools, diversity=fitted.diversity, limit=limit)
            for pool, (picks, scores) in zip(pools, together, strict=True):
                alone = diversify_one(
                    fitted.item_rows_,
                    fitted.space_.strand_of_cell,
                    fitted.strand_masks_,
                    pool,
                    diversity=fitted.diversity,
                    limit=limit,
                )
                assert alone[0] == picks
                assert alone[1] == pytest.approx(scores, rel=1e-12, abs=0)
                compared += bool(picks)
    assert compared > 400
