"""The bare kernel: the floor every ranking figure is compared with, on the same data.

One profile: the row-normalised CSR item matrix times a dense query vector, then argpartition
for the top k. A batch: the same for a chunk of query vectors at once (one sparse × dense
product, then argpartition down each column). No validation, constraints, text, diversity or
explanations: what is left when the product does nothing but score.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray


def top_k(items: sp.csr_matrix, q: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """Rows of the k best scores for one query vector, best first."""
    scores = items @ q
    k = min(k, len(scores))
    if k == 0:
        return np.zeros(0, dtype=np.intp)
    top = np.argpartition(-scores, k - 1)[:k]
    ordered: NDArray[np.intp] = top[np.argsort(-scores[top])]
    return ordered


def top_k_chunk(items: sp.csr_matrix, queries: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """Rows of the k best scores (unordered) for each of a chunk of query vectors (c × cells);
    returns k × c."""
    scores = items @ queries.T
    k = min(k, scores.shape[0])
    if k == 0:
        return np.zeros((0, len(queries)), dtype=np.intp)
    top: NDArray[np.intp] = np.argpartition(-scores, k - 1, axis=0)[:k]
    return top
