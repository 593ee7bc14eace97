from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.metrics import ndcg_at_k, precision_at_k

grades_st = st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 3), min_size=1)


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
def test_ndcg_within_unit_interval(grades: dict[str, int], ranked: list[str], k: int) -> None:
    assert 0.0 <= ndcg_at_k(ranked, grades, k) <= 1.0 + 1e-12


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
