from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.activities import FORMATS, Activity
from recommender.metrics import (
    brier_score,
    catalogue_coverage,
    expected_calibration_error,
    gap_coverage,
    intra_list_diversity,
    jaccard_dissimilarity,
    ndcg_at_k,
    precision_at_k,
    reliability_table,
    violates,
)
from recommender.profiles import Constraints
from recommender.ranker import allowed_mask

grades_st = st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 3), min_size=1)
sets_st = st.frozensets(st.sampled_from("pqrstu"))
probabilities = st.floats(0.0, 1.0)


@given(grades=grades_st, k=st.integers(1, 8))
def test_ideal_order_scores_one(grades: dict[str, int], k: int) -> None:
    ideal = sorted(grades, key=lambda a: -grades[a])
    expected = 1.0 if any(grades.values()) else 0.0
    assert ndcg_at_k(ideal, grades, k) == pytest.approx(expected)


@given(
    grades=grades_st,
    ranked=st.lists(st.sampled_from("abcdefghij"), unique=True),
    k=st.integers(1, 8),
)
def test_ndcg_and_precision_within_unit_interval(
    grades: dict[str, int], ranked: list[str], k: int
) -> None:
    assert 0.0 <= ndcg_at_k(ranked, grades, k) <= 1.0 + 1e-12
    assert 0.0 <= precision_at_k(ranked, grades, k) <= 1.0


def test_ndcg_rewards_better_items_first() -> None:
    grades = {"a": 3, "b": 1}
    assert ndcg_at_k(["a", "b"], grades, 2) > ndcg_at_k(["b", "a"], grades, 2)


def test_nothing_relevant_and_nothing_returned_is_perfect() -> None:
    assert ndcg_at_k([], {}, 5) == 1.0
    assert ndcg_at_k(["x"], {}, 5) == 0.0


def test_precision() -> None:
    assert precision_at_k(["a", "x", "b"], {"a": 2, "b": 1}, 4) == 0.5
    with pytest.raises(ValueError):
        precision_at_k([], {}, 0)


@given(addressed=st.lists(sets_st, max_size=6), gaps=sets_st, extra=sets_st)
def test_gap_coverage_bounds_and_monotone(
    addressed: list[frozenset[str]], gaps: frozenset[str], extra: frozenset[str]
) -> None:
    coverage = gap_coverage(addressed, gaps)
    if not gaps:
        assert coverage is None
        return
    assert coverage is not None and 0.0 <= coverage <= 1.0
    more = gap_coverage([*addressed, extra], gaps)
    assert more is not None and more >= coverage
    assert gap_coverage([*addressed, gaps], gaps) == 1.0


def test_gap_coverage_counts_each_gap_once() -> None:
    assert gap_coverage([{"1.1", "x"}, {"1.1"}], {"1.1", "1.3"}) == 0.5


@given(lists=st.lists(st.lists(st.sampled_from("abcdefg"))), catalogue=sets_st)
def test_catalogue_coverage_bounds(lists: list[list[str]], catalogue: frozenset[str]) -> None:
    assert 0.0 <= catalogue_coverage(lists, catalogue) <= 1.0
    assert catalogue_coverage([*lists, sorted(catalogue)], catalogue) == 1.0


@given(a=sets_st, b=sets_st)
def test_jaccard_dissimilarity_is_a_symmetric_unit_distance(
    a: frozenset[str], b: frozenset[str]
) -> None:
    assert jaccard_dissimilarity(a, b) == jaccard_dissimilarity(b, a)
    assert 0.0 <= jaccard_dissimilarity(a, b) <= 1.0
    assert jaccard_dissimilarity(a, a) == 0.0


@given(features=st.lists(sets_st, max_size=6))
def test_intra_list_diversity_bounds(features: list[frozenset[str]]) -> None:
    diversity = intra_list_diversity(features)
    if len(features) < 2:
        assert diversity is None
    else:
        assert diversity is not None and 0.0 <= diversity <= 1.0
        assert intra_list_diversity([features[0]] * len(features)) == 0.0


def test_intra_list_diversity_of_disjoint_items_is_one() -> None:
    assert intra_list_diversity([{"a"}, {"b"}, {"c", "d"}]) == 1.0
    assert intra_list_diversity([{"a", "b"}, {"b"}]) == 0.5


outcomes_st = st.lists(st.tuples(probabilities, st.booleans()), max_size=40)


@given(outcomes=outcomes_st, n_bins=st.integers(1, 12))
def test_reliability_table_partitions_the_predictions(
    outcomes: list[tuple[float, bool]], n_bins: int
) -> None:
    confidences = [p for p, _ in outcomes]
    correct = [c for _, c in outcomes]
    bins = reliability_table(confidences, correct, n_bins)
    assert sum(b.count for b in bins) == len(outcomes)
    for b in bins:
        assert b.lower - 1e-12 <= b.mean_confidence <= b.upper + 1e-12
        assert 0.0 <= b.accuracy <= 1.0
    assert 0.0 <= expected_calibration_error(bins) <= 1.0
    assert 0.0 <= brier_score(confidences, correct) <= 1.0


def test_perfect_and_worst_calibration() -> None:
    perfect = reliability_table([1.0, 1.0, 0.0], [True, True, False])
    assert expected_calibration_error(perfect) == 0.0
    assert brier_score([1.0, 0.0], [True, False]) == 0.0
    worst = reliability_table([1.0, 0.0], [False, True])
    assert expected_calibration_error(worst) == 1.0
    assert brier_score([1.0, 0.0], [False, True]) == 1.0
    # 0.8 right 4 times out of 5 is calibrated: the bin's accuracy matches its confidence.
    calibrated = reliability_table([0.8] * 5, [True] * 4 + [False])
    assert expected_calibration_error(calibrated) == pytest.approx(0.0)


def test_reliability_table_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        reliability_table([1.2], [True])
    with pytest.raises(ValueError):
        reliability_table([0.5], [])


constraints_st = st.builds(
    Constraints,
    formats=st.none() | st.lists(st.sampled_from(FORMATS), unique=True).map(tuple),
    max_duration_hours=st.none() | st.floats(0, 50),
    max_cost=st.none() | st.floats(0, 500),
)


@given(constraints=constraints_st)
def test_violations_agree_with_the_rankers_filter(
    constraints: Constraints, activities: list[Activity]
) -> None:
    """The audit restates the rule independently; it must still mean the same thing."""
    mask = allowed_mask(
        constraints,
        np.array([a.format for a in activities], dtype=object),
        np.array([np.nan if a.duration_hours is None else a.duration_hours for a in activities]),
        np.array([np.nan if a.cost is None else a.cost for a in activities]),
    )
    assert [not violates(a, constraints) for a in activities] == mask.tolist()
