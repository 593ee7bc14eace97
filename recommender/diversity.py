"""The diversity re-rank, for one profile's candidate pool or a batch of them at once.

Score = relevance × Π (1 − diversity × similarity to each item already picked), chosen greedily.
Similarity is between the *gaps* two items address (their shares of each gap strand's weight),
so a second item for the same gap is discounted while one for a different gap is not. Each
item's score can only fall as picks accumulate, so the scores of a list never increase.

Shares are kept over the profile's own gap strands only (an item's weight on any other strand
is zero), a handful of columns instead of every strand of the loaded frameworks. Pools are
padded into (profiles × pool) arrays so that a batch costs a few numpy calls per pick, not a few
per profile per pick: the Python overhead of small calls, not arithmetic, is what a request
spends its time on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.cells import RowLists, entries

_Key = int | tuple[tuple[int, float], ...]
"""A group of items with the same shares: a strand's bit, or the shares themselves."""


@dataclass(frozen=True, slots=True)
class Pool:
    """One profile's candidates, best first (by relevance, then id), its query weights, and
    the strands its query weighs (ascending; every strand when not given)."""

    rows: NDArray[np.intp]
    relevance: NDArray[np.float64]
    query: NDArray[np.float64]
    strands: Sequence[int] | None = None


def gap_shares(
    items: sp.csr_matrix, strand_of_cell: NDArray[np.intp], n_strands: int, pools: Sequence[Pool]
) -> NDArray[np.float64]:
    """Per pool and item, its share of each gap strand's weight (pools × width × strands),
    the strands being each pool's own `strands` (padded to the longest) or all `n_strands`."""
    width = max(len(p.rows) for p in pools)
    local = [_local_strands(p, n_strands) for p in pools]
    k = max(1, max(len(s) for s in local))
    if len(pools) == 1:  # one request: skip the bookkeeping of a batch
        owner, cells, values = entries(items, pools[0].rows)
        slots, weights = owner, values * pools[0].query[cells]
        strand = strand_of_cell[cells]
        if len(local[0]) < n_strands:  # weights off the pool's strands are 0: any column does
            strand = np.minimum(np.searchsorted(local[0], strand), k - 1)
    else:
        rows = np.concatenate([p.rows for p in pools])
        slot = np.concatenate([b * width + np.arange(len(p.rows)) for b, p in enumerate(pools)])
        pool_of = np.repeat(np.arange(len(pools)), [len(p.rows) for p in pools])
        owner, cells, values = entries(items, rows)
        queries = np.stack([p.query for p in pools])
        column = np.zeros((len(pools), n_strands), dtype=np.intp)
        for b, strands in enumerate(local):
            column[b, strands] = np.arange(len(strands))
        slots = slot[owner]
        of_entry = pool_of[owner]
        weights = values * queries[of_entry, cells]
        strand = column[of_entry, strand_of_cell[cells]]
    coverage = np.bincount(
        slots * k + strand, weights=weights, minlength=len(pools) * width * k
    ).reshape(len(pools), width, k)
    norms = np.sqrt((coverage * coverage).sum(axis=2))  # as np.linalg.norm(axis=-1)
    norms[norms == 0] = 1.0
    shares: NDArray[np.float64] = coverage / norms[:, :, None]
    return shares


def _local_strands(pool: Pool, n_strands: int) -> NDArray[np.intp]:
    return np.arange(n_strands) if pool.strands is None else np.asarray(pool.strands, np.intp)


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
    steps = min(limit, len(rel))
    if steps > 1:
        # every pair's discount factor at once; shares are non-negative, so clipping the
        # similarity to [0, 1] is a minimum
        factors = 1.0 - diversity * np.minimum(shares @ shares.T, 1.0)
    discount = np.ones(len(rel))
    chosen: list[int] = []
    scores: list[float] = []
    for step in range(steps):
        current = rel * discount
        if chosen:
            current[chosen] = -np.inf
        best = int(current.argmax())  # ties: earlier in the pool, i.e. by id
        chosen.append(best)
        scores.append(float(current[best]))
        if step + 1 < steps:
            discount *= factors[best]
    return chosen, scores


def diversify_one(
    items: RowLists,
    strand_of_cell: NDArray[np.intp],
    strand_masks: Sequence[int],
    pool: Pool,
    *,
    diversity: float,
    limit: int,
) -> tuple[list[int], list[float]]:
    """`diversify` for one pool, in plain Python: the same picks and scores with a few dozen
    operations instead of a few dozen numpy calls. `items` is the item matrix's rows as lists;
    `strand_masks` are the strands each row is tagged in, as bits (see
    `recommender.ranker.strand_masks`).

    Items with the same shares (all those tagged in just one of the gap strands, whose share is
    1 on it) are always discounted alike, and so, within such a group, the first item not yet
    picked (the pool is sorted by relevance, then id) is the only one that can be picked next.
    Each pick therefore compares one item per group.
    """
    rel = pool.relevance.tolist()
    steps = min(limit, len(rel))
    if steps <= 0:
        return [], []
    gap_mask = -1
    if pool.strands is not None:
        gap_mask = 0
        for strand in pool.strands:
            gap_mask |= 1 << strand
    members: dict[_Key, list[int]] = {}
    for i, row in enumerate(pool.rows.tolist()):
        mask = strand_masks[row] & gap_mask
        key: _Key = mask
        if mask & (mask - 1):  # several gap strands: its own shares (see below)
            key = tuple(_shares(items, strand_of_cell, pool.query, row).items())
        group = members.get(key)
        if group is None:
            members[key] = [i]
        else:
            group.append(i)
    # a single strand's share is 1; several strands' shares may also come down to one strand
    # (levels outside the gap in the others), a group of its own that is discounted alike
    groups = list(members.values())
    vectors = [
        dict(key) if isinstance(key, tuple) else {key.bit_length() - 1: 1.0} for key in members
    ]
    in_strand: dict[int, list[tuple[int, float]]] = {}  # per strand, its groups and shares
    for g, vector in enumerate(vectors):
        for strand, share in vector.items():
            in_strand.setdefault(strand, []).append((g, share))
    discount = [1.0] * len(groups)
    taken = [0] * len(groups)  # members picked so far: always the first ones
    chosen: list[int] = []
    scores: list[float] = []
    for step in range(steps):
        best, best_score, best_group = -1, -math.inf, -1
        for g, group in enumerate(groups):
            if taken[g] < len(group):
                i = group[taken[g]]
                score = rel[i] * discount[g]
                if score > best_score or (score == best_score and i < best):
                    best, best_score, best_group = i, score, g  # ties: the earlier, by id
        taken[best_group] += 1
        chosen.append(best)
        scores.append(best_score)
        if step + 1 < steps:
            # a group sharing no strand with the pick has similarity 0: a factor of exactly 1
            picked = vectors[best_group]
            if len(picked) == 1:
                ((strand, other),) = picked.items()
                for g, share in in_strand[strand]:
                    discount[g] *= 1.0 - diversity * min(share * other, 1.0)
            else:
                touched = {g for strand in picked for g, _ in in_strand[strand]}
                for g in sorted(touched):
                    similarity = 0.0
                    for strand, share in vectors[g].items():
                        theirs = picked.get(strand)
                        if theirs is not None:
                            similarity += share * theirs
                    discount[g] *= 1.0 - diversity * min(similarity, 1.0)
    return chosen, scores


def _shares(
    items: RowLists, strand_of_cell: NDArray[np.intp], query: NDArray[np.float64], row: int
) -> dict[int, float]:
    """One item's share of each gap strand's weight, as `gap_shares` works it out."""
    coverage: dict[int, float] = {}
    for cell, value in zip(*items.row(row), strict=True):
        weight = value * query.item(cell)
        if weight:
            strand = strand_of_cell.item(cell)
            coverage[strand] = coverage.get(strand, 0.0) + weight
    norm = 0.0
    for c in coverage.values():
        norm += c * c
    norm = math.sqrt(norm) or 1.0
    return {strand: c / norm for strand, c in coverage.items()}
