"""The gap-profile ranker: cosine similarity over framework cells, constraints, diversity.

Scoring one profile is a sparse-matrix product with a dense query vector (the fast path the
benchmarks measure), an optional text boost from the profile's `query`, hard-constraint masks,
then a greedy re-rank that discounts items addressing gaps already covered higher up the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from recommender.activities import Activity, Tag
from recommender.cells import CellSpace, normalise_rows
from recommender.explain import explain
from recommender.frameworks import Framework, by_id
from recommender.profiles import Constraints, GapProfile, check_profile, gaps
from recommender.tagging import ScoredTag, TagInferrer
from recommender.text import make_vectoriser


@dataclass(frozen=True, slots=True)
class Recommendation:
    activity: str
    score: float
    relevance: float
    addresses: tuple[Tag, ...]
    why: str
    inferred: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "activity": self.activity,
            "score": self.score,
            "relevance": self.relevance,
            "addresses": [t.model_dump() for t in self.addresses],
            "why": self.why,
            "inferred_tags": self.inferred,
        }


class GapRanker(BaseEstimator):  # type: ignore[misc]
    """Ranks catalogue activities by how well they close a gap profile's gaps.

    Parameters
    ----------
    further_level_decay : weight of each level beyond the next one, relative to the level
        before it (the next level above `current` weighs 1).
    gap_size_exponent : a gap of n levels scales its weights by n ** exponent.
    diversity : 0 ranks by relevance alone; towards 1, an item whose gaps are already addressed
        higher up the list is discounted by up to this share per similar item.
    query_weight : share of relevance that depends on matching the profile's `query` text.
    min_tag_confidence : inferred tags below this confidence are not used for ranking.
    tagger : the tag inferrer for untagged activities; None disables inference.
    """

    def __init__(
        self,
        *,
        further_level_decay: float = 0.5,
        gap_size_exponent: float = 0.5,
        diversity: float = 0.7,
        query_weight: float = 0.3,
        min_tag_confidence: float = 0.5,
        tagger: TagInferrer | None = None,
    ) -> None:
        self.further_level_decay = further_level_decay
        self.gap_size_exponent = gap_size_exponent
        self.diversity = diversity
        self.query_weight = query_weight
        self.min_tag_confidence = min_tag_confidence
        self.tagger = tagger

    def fit(self, frameworks: Sequence[Framework], activities: Sequence[Activity]) -> GapRanker:
        if not 0 <= self.diversity <= 1 or not 0 <= self.query_weight <= 1:
            raise ValueError("diversity and query_weight must lie in [0, 1]")
        if not 0 < self.further_level_decay <= 1:
            raise ValueError("further_level_decay must lie in (0, 1]")
        self.frameworks_ = by_id(frameworks)
        self.space_ = CellSpace.from_frameworks(frameworks)
        self.activity_ids_ = np.array([a.id for a in activities], dtype=object)
        self.inferred_tags_ = self._infer(frameworks, activities)
        weighted = []
        for activity in activities:
            inferred = self.inferred_tags_.get(activity.id)
            if inferred is None:
                weighted.append([(tag, 1.0) for tag in activity.tags])
            else:
                weighted.append(
                    [
                        (t.tag, t.confidence)
                        for t in inferred
                        if t.confidence >= self.min_tag_confidence
                    ]
                )
        self.items_ = self.space_.item_matrix(weighted)
        self.formats_ = np.array([a.format for a in activities], dtype=object)
        self.durations_ = np.array([_or_nan(a.duration_hours) for a in activities])
        self.costs_ = np.array([_or_nan(a.cost) for a in activities])
        texts = [a.text for a in activities]
        self.text_vectoriser_ = make_vectoriser().fit(texts) if texts else None
        self.texts_ = (
            normalise_rows(self.text_vectoriser_.transform(texts))
            if self.text_vectoriser_ is not None
            else sp.csr_matrix((0, 0))
        )
        return self

    def _infer(
        self, frameworks: Sequence[Framework], activities: Sequence[Activity]
    ) -> dict[str, list[ScoredTag]]:
        """Inferred tags for activities with no tag in the loaded frameworks."""
        untagged = [
            a for a in activities if not any(self.space_.tag_column(t) is not None for t in a.tags)
        ]
        if self.tagger is None or not untagged:
            return {}
        self.tagger_ = clone(self.tagger).fit(frameworks, activities)
        predicted = self.tagger_.predict(untagged)
        return {a.id: tags for a, tags in zip(untagged, predicted, strict=True)}

    def tags_for(self, activity: Activity) -> list[ScoredTag]:
        """Tags as the ranker uses them: given ones at confidence 1, else the inferred ones."""
        check_is_fitted(self, "items_")
        if activity.id in self.inferred_tags_:
            return list(self.inferred_tags_[activity.id])
        return [ScoredTag(tag, 1.0, inferred=False) for tag in activity.tags]

    def relevance(self, profile: GapProfile) -> NDArray[np.float64]:
        """Relevance of every activity to the profile in [0, 1]; 0 where no gap is served."""
        return self._score(profile).relevance

    def _score(self, profile: GapProfile) -> _Scored:
        check_is_fitted(self, "items_")
        framework = check_profile(profile, self.frameworks_)
        q = self._query(profile, framework)
        norm = np.linalg.norm(q)
        if norm == 0:
            return _Scored(framework, q, np.zeros(self.items_.shape[0]), None)
        rel: NDArray[np.float64] = self.items_ @ (q / norm)
        text_query = None
        if profile.query and self.query_weight > 0 and self.text_vectoriser_ is not None:
            text_query = self._text_query(profile.query)
            text = np.asarray((self.texts_ @ text_query).todense()).ravel()
            top = text[rel > 0].max(initial=0.0)
            if top > 0:
                rel = rel * ((1 - self.query_weight) + self.query_weight * text / top)
        rel[~self._allowed(profile)] = 0.0
        return _Scored(framework, q, rel, text_query)

    def rank(self, profile: GapProfile, limit: int = 5) -> list[Recommendation]:
        """The best `limit` activities for one profile, best first, each explained."""
        scored = self._score(profile)
        rel = scored.relevance
        candidates = np.flatnonzero(rel > 1e-12)
        if len(candidates) == 0 or limit <= 0:
            return []
        pool = min(len(candidates), max(limit * 10, 50))
        top = candidates[np.argpartition(-rel[candidates], pool - 1)[:pool]]
        top = top[np.lexsort((self.activity_ids_[top], -rel[top]))]
        chosen, scores = self._diversify(top, rel, scored.query, limit)
        return [
            self._recommendation(i, score, profile, scored)
            for i, score in zip(chosen, scores, strict=True)
        ]

    def rank_many(
        self, profiles: Iterable[GapProfile], limit: int = 5
    ) -> Iterator[list[Recommendation]]:
        """Rank a stream of profiles lazily, one list per profile, in input order."""
        for profile in profiles:
            yield self.rank(profile, limit)

    def _query(self, profile: GapProfile, framework: Framework) -> NDArray[np.float64]:
        return self.space_.query_vector(
            framework,
            gaps(profile, framework),
            further_level_decay=self.further_level_decay,
            gap_size_exponent=self.gap_size_exponent,
        )

    def _text_query(self, query: str) -> sp.csr_matrix:
        assert self.text_vectoriser_ is not None  # only called for a non-empty catalogue
        return normalise_rows(self.text_vectoriser_.transform([query])).T

    def _allowed(self, profile: GapProfile) -> NDArray[np.bool_]:
        return allowed_mask(profile.constraints, self.formats_, self.durations_, self.costs_)

    def _gap_coverage(self, rows: NDArray[np.intp], q: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per item, the share of each gap strand's weight it addresses (items × strands)."""
        contribution = self.items_[rows].multiply(q).tocsr()
        coverage: NDArray[np.float64] = (contribution @ self.space_.cell_to_strand).toarray()
        norms = np.linalg.norm(coverage, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        shares: NDArray[np.float64] = coverage / norms
        return shares

    def _diversify(
        self, top: NDArray[np.intp], rel: NDArray[np.float64], q: NDArray[np.float64], limit: int
    ) -> tuple[list[int], list[float]]:
        """Greedy re-rank: score = relevance × Π (1 − diversity × similarity to each pick).

        Similarity is between the gaps two items address, so a second item for the same gap
        is discounted while one for a different gap is not. Each item's score can only fall
        as picks accumulate, so the scores of the returned list never increase.
        """
        coverage = self._gap_coverage(top, q)
        discount = np.ones(len(top))
        available = np.ones(len(top), dtype=bool)
        chosen: list[int] = []
        scores: list[float] = []
        for _ in range(min(limit, len(top))):
            current = np.where(available, rel[top] * discount, -np.inf)
            best = int(np.argmax(current))  # ties: earlier in `top`, i.e. by id
            chosen.append(int(top[best]))
            scores.append(float(current[best]))
            available[best] = False
            similarity = coverage @ coverage[best]
            discount *= 1.0 - self.diversity * np.clip(similarity, 0.0, 1.0)
        return chosen, scores

    def _recommendation(
        self, row: int, score: float, profile: GapProfile, scored: _Scored
    ) -> Recommendation:
        item = self.items_[row]
        contributions = item.data * scored.query[item.indices]
        order = np.argsort(-contributions, kind="stable")
        addresses = tuple(
            Tag(framework=c[0], strand=c[1], level=c[2])
            for c in (self.space_.cells[item.indices[k]] for k in order if contributions[k] > 0)
        )
        activity_id = str(self.activity_ids_[row])
        inferred = activity_id in self.inferred_tags_
        why = explain(
            profile,
            scored.framework,
            addresses,
            inferred=inferred,
            matched_terms=self._matched_terms(row, scored.text_query),
        )
        return Recommendation(
            activity_id,
            round(score, 4),
            round(float(scored.relevance[row]), 4),
            addresses,
            why,
            inferred,
        )

    def _matched_terms(self, row: int, text_query: sp.csr_matrix | None) -> list[str]:
        """Up to three query terms the activity's text shares, strongest first."""
        if text_query is None:
            return []
        text = self.texts_[row]
        shared = text.multiply(text_query.T).tocsr()
        order = np.argsort(-shared.data, kind="stable")[:3]
        assert self.text_vectoriser_ is not None  # a text query implies a vectoriser
        vocabulary = self.text_vectoriser_.get_feature_names_out()
        return [str(vocabulary[shared.indices[k]]) for k in order]


@dataclass(frozen=True, slots=True)
class _Scored:
    framework: Framework
    query: NDArray[np.float64]
    relevance: NDArray[np.float64]
    text_query: sp.csr_matrix | None


def allowed_mask(
    c: Constraints,
    formats: NDArray[np.object_],
    durations: NDArray[np.float64],
    costs: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """Which activities meet the hard constraints; an unknown (NaN) duration or cost fails a
    limit on it. Public so that baseline rankers filter exactly as the product does."""
    allowed = np.ones(len(formats), dtype=bool)
    if c.formats is not None:
        allowed &= np.isin(formats, list(c.formats))
    with np.errstate(invalid="ignore"):
        if c.max_duration_hours is not None:
            allowed &= durations <= c.max_duration_hours
        if c.max_cost is not None:
            allowed &= costs <= c.max_cost
    return allowed


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else value
