"""Baseline rankers: what a coordinator could do without cpdrec, to measure it against.

All of them have GapRanker's interface (`fit(frameworks, activities)`, `rank(profile, limit)`,
`rank_many`) and return its `Recommendation`s. Like the product they never return an activity
that breaks a hard constraint (the same filter, `ranker.allowed_mask`), and return nothing for a
profile with no gap. Ties are broken in a random order seeded by `random_state` and the
profile, never by id: catalogue ids often follow strands and levels, which would favour some.
Scores are each baseline's own, scaled so that the best eligible activity scores 1.

* `RandomRanker`: a random order of the activities that meet the constraints.
* `PopularityRanker`: the same list for everyone, broadest first. With no usage data, breadth
  stands in for popularity: the number of distinct framework strands an activity is tagged to
  (an activity that speaks to many needs is the one most people would be sent on).
* `StrandMatchRanker`: activities tagged to a gap strand at any level, weighted by the strands'
  priorities; what filtering the catalogue by strand would give.
* `TfidfRetrieval`, `BM25Retrieval`: plain text search of activity titles and descriptions with
  the gap strands' statements for the levels within each gap, plus the profile's query.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils.validation import check_is_fitted

from recommender.activities import Activity
from recommender.cells import CellSpace, normalise_rows
from recommender.frameworks import Framework, by_id
from recommender.profiles import Gap, GapProfile, check_profile, gaps
from recommender.ranker import Recommendation, allowed_mask
from recommender.text import make_vectoriser


class Baseline(BaseEstimator):  # type: ignore[misc]
    """Shared fitting, filtering and ordering; subclasses score activities in `_scores`."""

    why = "Baseline."

    def __init__(self, *, random_state: int = 0) -> None:
        self.random_state = random_state

    def fit(self, frameworks: Sequence[Framework], activities: Sequence[Activity]) -> Self:
        self.frameworks_ = by_id(frameworks)
        self.space_ = CellSpace.from_frameworks(frameworks)
        self.activity_ids_ = np.array([a.id for a in activities], dtype=object)
        self.tags_ = [a.tags for a in activities]
        self.formats_ = np.array([a.format for a in activities], dtype=object)
        self.durations_ = np.array([_or_nan(a.duration_hours) for a in activities])
        self.costs_ = np.array([_or_nan(a.cost) for a in activities])
        self._fit(frameworks, activities)
        return self

    def _fit(self, frameworks: Sequence[Framework], activities: Sequence[Activity]) -> None:
        """Learn what `_scores` needs."""

    def _scores(
        self, profile: GapProfile, framework: Framework, found: Sequence[Gap]
    ) -> NDArray[np.float64]:
        """Per activity, a score; only activities scoring above 0 may be returned."""
        raise NotImplementedError

    def rank(self, profile: GapProfile, limit: int = 5) -> list[Recommendation]:
        check_is_fitted(self, "activity_ids_")
        framework = check_profile(profile, self.frameworks_)
        found = gaps(profile, framework)
        if not found or limit <= 0 or len(self.activity_ids_) == 0:
            return []
        scores = self._scores(profile, framework, found)
        c = profile.constraints
        eligible = np.flatnonzero(
            allowed_mask(c, self.formats_, self.durations_, self.costs_) & (scores > 0)
        )
        if len(eligible) == 0:
            return []
        ties = self._rng(profile).random(len(self.activity_ids_))
        chosen = eligible[np.lexsort((ties[eligible], -scores[eligible]))][:limit]
        top = float(scores[chosen[0]])
        strands = {gap.strand for gap in found}
        return [
            Recommendation(
                activity=str(self.activity_ids_[i]),
                score=round(float(scores[i]) / top, 4),
                relevance=round(float(scores[i]) / top, 4),
                addresses=tuple(
                    t for t in self.tags_[i] if t.framework == framework.id and t.strand in strands
                ),
                why=self.why,
                inferred=False,
            )
            for i in chosen
        ]

    def rank_many(
        self, profiles: Iterable[GapProfile], limit: int = 5
    ) -> Iterator[list[Recommendation]]:
        """Rank a stream of profiles lazily, one list per profile, in input order."""
        for profile in profiles:
            yield self.rank(profile, limit)

    def _rng(self, profile: GapProfile) -> np.random.Generator:
        """Seeded by `random_state` and the profile's content, so a profile's list does not
        depend on which profiles were ranked before it."""
        digest = zlib.crc32(profile.model_dump_json().encode("utf-8"))
        return np.random.default_rng([self.random_state, digest])

    def _strand_matrix(self) -> sp.csr_matrix:
        """Activities × framework strands, 1 where an activity has a tag on the strand."""
        cells = self.space_.item_matrix([[(t, 1.0) for t in tags] for tags in self.tags_])
        strands = sp.csr_matrix(cells @ self.space_.cell_to_strand)
        strands.data[:] = 1.0
        return strands


class RandomRanker(Baseline):
    """A random order of the activities that meet the profile's constraints."""

    why = "Random pick among activities that meet your constraints (baseline)."

    def _scores(
        self, profile: GapProfile, framework: Framework, found: Sequence[Gap]
    ) -> NDArray[np.float64]:
        return np.ones(len(self.activity_ids_))


class PopularityRanker(Baseline):
    """The broadest activities first, whatever the gaps (see the module docstring)."""

    why = "One of the broadest activities in the catalogue (popularity baseline)."

    def _fit(self, frameworks: Sequence[Framework], activities: Sequence[Activity]) -> None:
        self.breadth_ = np.asarray(self._strand_matrix().sum(axis=1)).ravel()

    def _scores(
        self, profile: GapProfile, framework: Framework, found: Sequence[Gap]
    ) -> NDArray[np.float64]:
        scores: NDArray[np.float64] = 1.0 + self.breadth_  # an untagged activity may still come
        return scores


class StrandMatchRanker(Baseline):
    """Activities tagged to a gap strand at any level; score = sum of the strands' priorities."""

    why = "Tagged to one of your gap strands, at whatever level (strand-match baseline)."

    def _fit(self, frameworks: Sequence[Framework], activities: Sequence[Activity]) -> None:
        self.strands_ = self._strand_matrix()

    def _scores(
        self, profile: GapProfile, framework: Framework, found: Sequence[Gap]
    ) -> NDArray[np.float64]:
        weights = np.zeros(len(self.space_.strands))
        column = {strand: j for j, strand in enumerate(self.space_.strands)}
        for gap in found:
            weights[column[(framework.id, gap.strand)]] = gap.priority
        scores: NDArray[np.float64] = self.strands_ @ weights
        return scores


def gap_text(profile: GapProfile, framework: Framework, found: Sequence[Gap]) -> str:
    """The search query a user could type: each gap strand's title and its statements for the
    levels within the gap, then the profile's own query."""
    parts: list[str] = []
    for gap in found:
        parts.append(framework.strand(gap.strand).title)
        for rank in range(gap.current_rank + 1, gap.target_rank + 1):
            parts.extend(framework.statements(gap.strand, framework.level_ids[rank]))
    if profile.query:
        parts.append(profile.query)
    return " ".join(parts)


class TfidfRetrieval(Baseline):
    """Cosine similarity of TF-IDF vectors (the ranker's own text features) of activity text and
    `gap_text`."""

    why = "Its text matches your gaps' descriptors (TF-IDF search baseline)."

    def _fit(self, frameworks: Sequence[Framework], activities: Sequence[Activity]) -> None:
        texts = [a.text for a in activities]
        self.vectoriser_ = make_vectoriser().fit(texts) if texts else None
        self.texts_ = (
            normalise_rows(self.vectoriser_.transform(texts))
            if self.vectoriser_ is not None
            else None
        )

    def _scores(
        self, profile: GapProfile, framework: Framework, found: Sequence[Gap]
    ) -> NDArray[np.float64]:
        assert self.vectoriser_ is not None and self.texts_ is not None  # non-empty catalogue
        query = normalise_rows(self.vectoriser_.transform([gap_text(profile, framework, found)]))
        return np.asarray((self.texts_ @ query.T).todense()).ravel()


class BM25Retrieval(Baseline):
    """Okapi BM25 of activity text against `gap_text`.

    score(d, q) = Σ_t qtf(t) · idf(t) · tf(t, d) · (k1 + 1) / (tf(t, d) + k1 · (1 − b + b ·
    |d| / avgdl)), with idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5)) (the non-negative
    idf of Lucene), following Robertson and Zaragoza (2009), "The Probabilistic Relevance
    Framework: BM25 and Beyond", eq. 3.15, with query term frequency counted linearly (k3 → ∞)
    since the query is made of many statements. Document weights are precomputed, so a query
    costs one sparse product.
    """

    why = "Its text matches your gaps' descriptors (BM25 search baseline)."

    def __init__(self, *, k1: float = 1.5, b: float = 0.75, random_state: int = 0) -> None:
        super().__init__(random_state=random_state)
        self.k1 = k1
        self.b = b

    def _fit(self, frameworks: Sequence[Framework], activities: Sequence[Activity]) -> None:
        texts = [a.text for a in activities]
        self.counter_ = CountVectorizer(
            stop_words="english",
            strip_accents="unicode",
            token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z-]+\b",
            dtype=np.float64,
        )
        if not texts:
            self.weights_ = sp.csr_matrix((0, 0))
            return
        tf = sp.csr_matrix(self.counter_.fit_transform(texts))
        lengths = np.asarray(tf.sum(axis=1)).ravel()
        df = np.bincount(tf.indices, minlength=tf.shape[1])
        idf = np.log1p((len(texts) - df + 0.5) / (df + 0.5))
        norm = self.k1 * (1 - self.b + self.b * lengths / max(lengths.mean(), 1e-12))
        weights = tf.copy()
        rows = np.repeat(np.arange(tf.shape[0]), np.diff(tf.indptr))
        weights.data = idf[tf.indices] * tf.data * (self.k1 + 1) / (tf.data + norm[rows])
        self.weights_ = weights

    def _scores(
        self, profile: GapProfile, framework: Framework, found: Sequence[Gap]
    ) -> NDArray[np.float64]:
        query = self.counter_.transform([gap_text(profile, framework, found)])
        return np.asarray((self.weights_ @ query.T).todense()).ravel()


def baselines(random_state: int = 0) -> dict[str, Baseline]:
    """Every baseline, unfitted, under the name reports use."""
    return {
        "random": RandomRanker(random_state=random_state),
        "popularity": PopularityRanker(random_state=random_state),
        "strand-match": StrandMatchRanker(random_state=random_state),
        "tfidf": TfidfRetrieval(random_state=random_state),
        "bm25": BM25Retrieval(random_state=random_state),
    }


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else value


__all__ = [
    "BM25Retrieval",
    "Baseline",
    "PopularityRanker",
    "RandomRanker",
    "StrandMatchRanker",
    "TfidfRetrieval",
    "baselines",
    "gap_text",
]
