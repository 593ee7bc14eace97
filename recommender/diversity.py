"""The diversity re-rank, for one profile's candidate pool or a batch of them at once.

Score = relevance × Π (1 − diversity × similarity to each item already picked), chosen greedily.
Similarity is between the *gaps* two items address (their shares of each gap strand's weight),
so a second item for the same gap is discounted while one for a different gap is not. Each
item's score can only fall as picks accumulate, so the scores of a list never increase.

Pools are padded into (profiles × pool) arrays so that a batch costs a few numpy calls per
pick, not a few per profile per pick: the Python overhead of small calls, not arithmetic, is
what a request spends its time on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.cells import entries


@dataclass(frozen=True, slots=True)
class Pool:
    """One profile's candidates, best first (by relevance, then id), and its query weights."""

    rows: NDArray[np.intp]
    relevance: NDArray[np.float64]
    query: NDArray[np.float64]


def gap_shares(
    items: sp.csr_matrix, strand_of_cell: NDArray[np.intp], n_strands: int, pools: Sequence[Pool]
) -> NDArray[np.float64]:
    """Per pool and item, its share of each gap strand's weight (pools × width × strands)."""
    width = max(len(p.rows) for p in pools)
    if len(pools) == 1:  # one request: skip the bookkeeping of a batch
        owner, cells, values = entries(items, pools[0].rows)
        slots, weights = owner, values * pools[0].query[cells]
    else:
        rows = np.concatenate([p.rows for p in pools])
        slot = np.concatenate([b * width + np.arange(len(p.rows)) for b, p in enumerate(pools)])
        pool_of = np.repeat(np.arange(len(pools)), [len(p.rows) for p in pools])
        owner, cells, values = entries(items, rows)
        queries = np.stack([p.query for p in pools])
        slots, weights = slot[owner], values * queries[pool_of[owner], cells]
    coverage = np.bincount(
        slots * n_strands + strand_of_cell[cells],
        weights=weights,
        minlength=len(pools) * width * n_strands,
    ).reshape(len(pools), width, n_strands)
    norms = np.sqrt((coverage * coverage).sum(axis=2))  # as np.linalg.norm(axis=-1)
    norms[norms == 0] = 1.0
    shares: NDArray[np.float64] = coverage / norms[:, :, None]
    return shares


def diversify(
    items: sp.csr_matrix,
    strand_of_cell: NDArray[np.intp],
    n_strands: int,
    pools: Sequence[Pool],
    *,
    diversity: float,
    limit: int,
) -> list[tuple[list[int], list[float]]]:
    """Per pool, the positions picked (at most `limit`) and their scores, in pick order."""
    sizes = [len(p.rows) for p in pools]
    if limit <= 0 or not any(sizes):
        return [([], []) for _ in pools]
    shares = gap_shares(items, strand_of_cell, n_strands, pools)
    if len(pools) == 1:
        return [_greedy(pools[0].relevance, shares[0], diversity, limit)]
    n, width = shares.shape[:2]
    rel = np.zeros((n, width))
    available = np.zeros((n, width), dtype=bool)
    for b, p in enumerate(pools):
        rel[b, : len(p.rows)] = p.relevance
        available[b, : len(p.rows)] = True
    discount = np.ones((n, width))
    every = np.arange(n)
    steps = min(limit, width)
    bests = np.zeros((steps, n), dtype=np.intp)
    scores = np.zeros((steps, n))
    for step in range(steps):  # `_greedy`, for every pool at once
        current = np.where(available, rel * discount, -np.inf)
        best = current.argmax(axis=1)
        bests[step], scores[step] = best, current[every, best]
        available[every, best] = False
        if step + 1 < steps:
            similarity = np.matmul(shares, shares[every, best][:, :, None])[:, :, 0]
            discount *= 1.0 - diversity * np.minimum(similarity, 1.0)
    return [
        (bests[: min(steps, size), b].tolist(), scores[: min(steps, size), b].tolist())
        for b, size in enumerate(sizes)
    ]


def _greedy(
    rel: NDArray[np.float64], shares: NDArray[np.float64], diversity: float, limit: int
) -> tuple[list[int], list[float]]:
    """The greedy picks of one pool (items × strands shares), with their scores."""
    discount = np.ones(len(rel))
    chosen: list[int] = []
    scores: list[float] = []
    steps = min(limit, len(rel))
    for step in range(steps):
        current = rel * discount
        current[chosen] = -np.inf
        best = int(current.argmax())  # ties: earlier in the pool, i.e. by id
        chosen.append(best)
        scores.append(float(current[best]))
        if step + 1 < steps:
            # shares are non-negative, so clipping the similarity to [0, 1] is a minimum
            discount *= 1.0 - diversity * np.minimum(shares @ shares[best], 1.0)
    return chosen, scores
