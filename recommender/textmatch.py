"""A request's free-text `query` against the catalogue's TF-IDF matrix, per request.

`TfidfVectorizer.transform` on one short string costs close to a millisecond of validation and
sparse bookkeeping; a query has a handful of terms, so its weights are computed here directly
(the same numbers, summed in the same order), and the catalogue matrix is read by column, one
column per query term, instead of multiplying every activity's row.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer

_ANALYSERS: weakref.WeakKeyDictionary[TfidfVectorizer, Callable[[str], list[str]]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True, slots=True)
class TextQuery:
    """The query's known terms (vocabulary columns, ascending), weights and words."""

    terms: NDArray[np.intp]
    weights: NDArray[np.float64]
    names: tuple[str, ...]


def text_query(vectoriser: TfidfVectorizer, query: str) -> TextQuery:
    """As `normalise_rows(vectoriser.transform([query]))`: sublinear tf × idf, l2-normalised
    by the vectoriser and once more by `normalise_rows`."""
    vocabulary = vectoriser.vocabulary_
    analyse = _ANALYSERS.get(vectoriser)
    if analyse is None:  # building it costs more than analysing a short query
        analyse = _ANALYSERS[vectoriser] = vectoriser.build_analyzer()
    counts: dict[str, int] = {}
    for term in analyse(query):
        if term in vocabulary:
            counts[term] = counts.get(term, 0) + 1
    names = sorted(counts, key=vocabulary.__getitem__)
    terms = np.array([vocabulary[t] for t in names], dtype=np.intp)
    tf = np.array([counts[t] for t in names], dtype=np.float64)
    weights = (np.log(tf) + 1.0) * vectoriser.idf_[terms]
    if names:
        weights = weights / _norm(weights)
        weights = weights * (1.0 / _norm(weights))
    return TextQuery(terms, weights, tuple(names))


def text_scores(texts: sp.csc_matrix, query: TextQuery) -> NDArray[np.float64]:
    """Cosine of every activity's text (rows of `texts`) with the query."""
    return summed(term_scores(texts, query))


def term_scores(texts: sp.csc_matrix, query: TextQuery) -> NDArray[np.float64]:
    """Each query term's part of every activity's cosine with the query (terms × rows)."""
    parts = np.zeros((len(query.terms), texts.shape[0]))
    indptr = texts.indptr
    for part, term, weight in zip(parts, query.terms.tolist(), query.weights.tolist(), strict=True):
        start, end = indptr[term], indptr[term + 1]
        part[texts.indices[start:end]] = texts.data[start:end] * weight
    return parts


def summed(parts: NDArray[np.float64]) -> NDArray[np.float64]:
    """The terms' parts added up term by term, from 0 (as a cosine's terms are)."""
    total = np.zeros(parts.shape[1])
    for part in parts:
        total += part
    return total


def matched_terms(query: TextQuery, parts: NDArray[np.float64], top: int = 3) -> list[list[str]]:
    """Per row of `parts` (rows × the query's terms, as `term_scores` transposed), up to `top`
    query terms its text shares, strongest first."""
    matched = []
    for values in parts.tolist():
        present = sorted((k for k, v in enumerate(values) if v > 0), key=lambda k: -values[k])
        matched.append([query.names[k] for k in present[:top]])
    return matched


def _norm(values: NDArray[np.float64]) -> float:
    """L2 norm summed left to right, as scikit-learn's and scipy's row norms are."""
    total = 0.0
    for v in values.tolist():
        total += v * v
    return math.sqrt(total)
