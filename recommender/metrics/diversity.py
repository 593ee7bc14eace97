"""Intra-list diversity: how different the items of one list are from each other."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from collections.abc import Set as AbstractSet
from itertools import combinations


def jaccard_dissimilarity(a: AbstractSet[Hashable], b: AbstractSet[Hashable]) -> float:
    """1 − |a ∩ b| / |a ∪ b|; two empty sets are indistinguishable, so 0."""
    union = len(a | b)
    return 0.0 if union == 0 else 1.0 - len(a & b) / union


def intra_list_diversity(features: Sequence[AbstractSet[Hashable]]) -> float | None:
    """Mean pairwise Jaccard dissimilarity of the items' feature sets (e.g. the framework
    strands each item is tagged to); None for a list of fewer than two items."""
    pairs = list(combinations(features, 2))
    if not pairs:
        return None
    return sum(jaccard_dissimilarity(a, b) for a, b in pairs) / len(pairs)
