"""Ranking quality against graded judgements: nDCG@k and precision@k."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    return float(sum((2.0**g - 1.0) / math.log2(i + 2) for i, g in enumerate(gains)))


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, float], k: int) -> float:
    """Graded nDCG@k (exponential gain); 1.0 when nothing is relevant and nothing is returned."""
    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 1.0 if not ranked else 0.0
    return dcg([grades.get(item, 0.0) for item in ranked[:k]]) / ideal


def precision_at_k(ranked: Sequence[str], grades: Mapping[str, float], k: int) -> float:
    """Share of the top k that is relevant (grade > 0), over k."""
    if k <= 0:
        raise ValueError("k must be positive")
    return sum(1 for item in ranked[:k] if grades.get(item, 0.0) > 0) / k
