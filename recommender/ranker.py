"""The gap-profile ranker: cosine similarity over framework cells, constraints, diversity.

Scoring one profile is the product of the row-normalised item matrix with the profile's query
vector, an optional text boost from the profile's `query`, hard-constraint masks, then a greedy
re-rank that discounts items addressing gaps already covered higher up the list.

The product is computed through the columns of the profile's gap cells only (the matrix is also
kept in CSC form), so a request touches the few hundred activities that serve its gaps instead
of the whole catalogue; the result is the same as `items_ @ q` restricted to its non-zeros.
Everything after that works on those candidates with plain numpy gathers: see benchmarks/.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple, Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from recommender.activities import FORMATS, Activity, Tag
from recommender.cells import CellSpace, RowLists, normalise_rows
from recommender.diversity import Pool, diversify, diversify_one
from recommender.errors import InvalidInput
from recommender.explain import Explainer
from recommender.frameworks import Framework, by_id
from recommender.profiles import Constraints, Gap, GapProfile, check_profile, gaps
from recommender.tagging import ScoredTag, TagInferrer
from recommender.text import make_vectoriser
from recommender.textmatch import TextQuery, matched_terms, summed, term_scores
from recommender.textmatch import text_query as make_text_query


class Recommendation(NamedTuple):
    """One ranked activity, its scores and why. A named tuple: immutable like a frozen
    dataclass, and made in a third of the time, five times per request."""

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
        certainty = np.ones(len(activities))
        for i, activity in enumerate(activities):
            inferred = self.inferred_tags_.get(activity.id)
            if inferred is None:
                weighted.append([(tag, 1.0) for tag in activity.tags])
            else:
                accepted = [
                    (t.tag, t.confidence)
                    for t in inferred
                    if t.confidence >= self.min_tag_confidence
                ]
                weighted.append(accepted)
                certainty[i] = max((c for _, c in accepted), default=1.0)
        # Normalising a row would make a 0.55 inferred tag count like a given one: scale each
        # inferred row back by the chance its best tag is right.
        self.items_ = sp.diags(certainty) @ self.space_.item_matrix(weighted)
        self.items_ = sp.csr_matrix(self.items_)
        self.items_by_cell_ = sp.csc_matrix(self.items_)
        self.item_rows_ = RowLists.of(self.items_)
        self.strand_masks_ = strand_masks(self.items_, self.space_.strand_of_cell)
        self.layouts_ = {f.id: _Layout.of(f, self.space_) for f in frameworks}
        self.cell_tags_ = tuple(
            Tag(framework=f, strand=s, level=lv) for f, s, lv in self.space_.cells
        )
        self.id_order_ = np.argsort(np.argsort(self.activity_ids_))
        self.formats_ = np.array([a.format for a in activities], dtype=object)
        self.format_codes_ = np.array([FORMATS.index(a.format) for a in activities], dtype=np.int8)
        self.durations_ = np.array([_or_nan(a.duration_hours) for a in activities])
        self.costs_ = np.array([_or_nan(a.cost) for a in activities])
        texts = [a.text for a in activities]
        self.text_vectoriser_ = make_vectoriser().fit(texts) if texts else None
        # activities × terms, by column: a query reads only the columns of its own terms
        self.texts_ = (
            sp.csc_matrix(normalise_rows(self.text_vectoriser_.transform(texts)))
            if self.text_vectoriser_ is not None
            else sp.csc_matrix((0, 0))
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
        scored = self._score(profile)
        full = np.zeros(self.items_.shape[0])
        full[scored.rows] = scored.relevance
        return full

    def query_vector(self, profile: GapProfile) -> NDArray[np.float64]:
        """The profile's unit weights over cells: relevance before the text boost and the
        constraints is `items_ @ query_vector(profile)`."""
        scored = self._score(profile)
        norm = math.sqrt(scored.query.dot(scored.query))
        return scored.query / norm if norm > 0 else scored.query

    def rank(
        self,
        profile: GapProfile,
        limit: int = 5,
        *,
        exclude: Collection[str] = (),
        adjuster: ScoreAdjuster | None = None,
    ) -> list[Recommendation]:
        """The best `limit` activities for one profile, best first, each explained.

        `exclude` names activities never to offer (a person dismissed or completed them), as
        hard as a constraint. `adjuster` rescales the relevance of activities that already serve
        a gap (feedback from similar people); it cannot make an off-gap or filtered-out activity
        appear, because relevance 0 stays 0.
        """
        scored = self._score(profile)
        if exclude or adjuster is not None:
            scored = self._adjusted(scored, exclude, adjuster)
        return self._ranked([profile], [scored], limit)[0]

    def _adjusted(
        self, scored: _Scored, exclude: Collection[str], adjuster: ScoreAdjuster | None
    ) -> _Scored:
        rel = scored.relevance.copy()
        if exclude:
            rel[np.isin(self.activity_ids_[scored.rows], list(exclude))] = 0.0
        if adjuster is not None and len(scored.rows):
            norm = math.sqrt(scored.query.dot(scored.query))
            factors = adjuster.factors(scored.query / norm, scored.rows)
            rel *= np.clip(factors, 0.0, None)
        return replace(scored, relevance=rel)

    def rank_many(
        self, profiles: Iterable[GapProfile], limit: int = 5
    ) -> Iterator[list[Recommendation]]:
        """Rank a stream of profiles lazily, one list per profile, in input order.

        Profiles are scored BATCH at a time (one sparse product, one diversity pass), and
        nothing is kept from one batch to the next, so memory stays flat however long the
        stream. An invalid profile raises once the lists before it have been yielded.
        """
        stream = iter(profiles)
        while chunk := list(itertools.islice(stream, BATCH)):
            scored, error = self._score_many(chunk)
            yield from self._ranked(chunk, scored, limit)
            if error is not None:
                raise error

    def _ranked(
        self, profiles: Sequence[GapProfile], scored: Sequence[_Scored], limit: int
    ) -> list[list[Recommendation]]:
        """Pool, diversify and explain already scored profiles (as many as are scored)."""
        pools = [self._pool(s, limit) for s in scored]
        if len(pools) == 1:  # one request: see diversify_one
            picked = [
                diversify_one(
                    self.item_rows_,
                    self.space_.strand_of_cell,
                    self.strand_masks_,
                    pools[0],
                    diversity=self.diversity,
                    limit=limit,
                )
            ]
        else:
            picked = diversify(
                self.items_,
                self.space_.strand_of_cell,
                len(self.space_.strands),
                pools,
                diversity=self.diversity,
                limit=limit,
            )
        lists = []
        for profile, s, pool, (picks, scores) in zip(profiles, scored, pools, picked, strict=False):
            chosen = pool.rows[picks].tolist()
            matched = (
                matched_terms(s.text.query, s.text.parts[:, np.searchsorted(s.rows, chosen)].T)
                if s.text is not None
                else [[] for _ in chosen]
            )
            relevance = pool.relevance[picks].tolist()
            lists.append(self._recommendations(profile, s, chosen, scores, relevance, matched))
        return lists

    def _pool(self, scored: _Scored, limit: int) -> Pool:
        """The candidates the diversity step chooses from: the `max(10 × limit, 50)` most
        relevant (ties at the cut as argpartition leaves them), by relevance then id."""
        rows, rel = scored.rows, scored.relevance
        if len(rows) and np.minimum.reduce(rel) <= 1e-12:
            keep = rel > 1e-12
            rows, rel = rows[keep], rel[keep]
        if limit <= 0 or len(rows) == 0:
            return Pool(_NO_ROWS, np.zeros(0), scored.query, scored.strands)
        pool = max(limit * 10, 50)
        if len(rows) > pool:
            top = np.argpartition(-rel, pool - 1)[:pool]
            top = top[np.lexsort((self.id_order_[rows[top]], -rel[top]))]
        else:  # the pool is every candidate: sorting them gives the same order
            top = np.lexsort((self.id_order_[rows], -rel))
        return Pool(rows[top], rel[top], scored.query, scored.strands)

    def _prepare(self, profile: GapProfile) -> _Prepared:
        """Check the profile and weigh its gaps: the query vector and its norm."""
        if "items_" not in self.__dict__:  # sklearn's check costs microseconds per request
            check_is_fitted(self, "items_")
        framework = self.frameworks_.get(profile.framework)
        layout = self.layouts_.get(profile.framework)
        found = None if framework is None or layout is None else layout.gaps(profile)
        if framework is None or found is None:  # something is wrong: say exactly what, as ever
            framework = check_profile(profile, self.frameworks_)
            found = [(gap, self._first_column(framework, gap)) for gap in gaps(profile, framework)]
        # `CellSpace.query_weights`, with each strand's cells found from its first column
        cells: list[int] = []
        weights: list[float] = []
        decay, exponent = self.further_level_decay, self.gap_size_exponent
        strands = [self.space_.strand_of_cell.item(first) for _, first in found]
        for gap, first in found:
            scale = gap.priority * gap.size**exponent
            for step, rank in enumerate(range(gap.current_rank + 1, gap.target_rank + 1)):
                cells.append(first + rank)
                weights.append(scale * decay**step)
        q = np.zeros(self.space_.n_cells)
        q[cells] = weights
        norm = math.sqrt(q.dot(q))  # as np.linalg.norm
        gaps_by_strand = {gap.strand: gap for gap, _ in found}
        return _Prepared(framework, gaps_by_strand, cells, strands, q, norm)

    def _first_column(self, framework: Framework, gap: Gap) -> int:
        """The column of the lowest level of the gap's strand (its levels' are consecutive)."""
        return self.space_.column[(framework.id, gap.strand, gap.target)] - gap.target_rank

    def _score(self, profile: GapProfile) -> _Scored:
        """The activities serving a gap and their relevance: `items_ @ q / |q|` read through
        the columns of the gap cells only, then the text boost and the constraints."""
        prep = self._prepare(profile)
        if prep.norm == 0:
            return self._finish(profile, prep, _NO_ROWS, np.zeros(0))
        rows, rel = self._serving(prep.cells, prep.query / prep.norm)
        return self._finish(profile, prep, rows, rel)

    def _score_many(
        self, profiles: Sequence[GapProfile]
    ) -> tuple[list[_Scored], InvalidInput | None]:
        """`_score` for a batch, with one sparse product for all of them; stops at the first
        invalid profile and returns its error beside the profiles before it."""
        prepared: list[_Prepared] = []
        error = None
        for profile in profiles:
            try:
                prepared.append(self._prepare(profile))
            except InvalidInput as exc:
                error = exc
                break
        indptr, cells, weights = [0], [], []
        for prep in prepared:
            if prep.norm > 0:
                cells += prep.cells
                weights += (prep.query[prep.cells] / prep.norm).tolist()
            indptr.append(len(cells))
        queries = sp.csr_matrix(
            (np.array(weights), np.array(cells, dtype=np.intp), np.array(indptr)),
            shape=(len(prepared), self.space_.n_cells),
        )
        # profiles × activities; sums run over each profile's cells in column order
        product = sp.csr_matrix(queries @ self.items_by_cell_.T)
        product.sort_indices()
        scored = []
        for k, (profile, prep) in enumerate(zip(profiles, prepared, strict=False)):
            start, end = product.indptr[k], product.indptr[k + 1]
            rows = product.indices[start:end].astype(np.intp)
            scored.append(self._finish(profile, prep, rows, product.data[start:end]))
        return scored, error

    def _finish(
        self,
        profile: GapProfile,
        prep: _Prepared,
        rows: NDArray[np.intp],
        rel: NDArray[np.float64],
    ) -> _Scored:
        """Apply the text boost and the constraints to the serving rows' relevance."""
        boost = None
        if (
            len(rows)
            and profile.query
            and self.query_weight > 0
            and self.text_vectoriser_ is not None
        ):
            text_query = make_text_query(self.text_vectoriser_, profile.query)
            boost = _Text(text_query, term_scores(self.texts_, text_query)[:, rows])
            text = summed(boost.parts)
            top = text.max(initial=0.0)
            if top > 0:
                rel = rel * ((1 - self.query_weight) + self.query_weight * text / top)
        c = profile.constraints
        if c.formats is not None or c.max_duration_hours is not None or c.max_cost is not None:
            rel = rel.copy()
            rel[~self._allowed(c, rows)] = 0.0
        return _Scored(prep.framework, prep.gaps, prep.query, prep.strands, rows, rel, boost)

    def _serving(
        self, cells: list[int], q_unit: NDArray[np.float64]
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Rows with a tag in `cells` (ascending) and their `items_ @ q_unit`, each summed over
        its cells in column order from 0, as the CSR product (and `rank_many`'s) sums it."""
        by_cell = self.items_by_cell_
        indptr = by_cell.indptr
        bounds = [(indptr[c], indptr[c + 1]) for c in cells]
        if len(cells) == 1:
            (start, end), weight = bounds[0], q_unit[cells[0]]
            return by_cell.indices[start:end].astype(np.intp), by_cell.data[start:end] * weight
        lengths = [end - start for start, end in bounds]
        serving = np.concatenate([by_cell.indices[s:e] for s, e in bounds])
        # each entry times its cell's weight: the products `data[s:e] * q_unit[c]` would give
        values = np.concatenate([by_cell.data[s:e] for s, e in bounds])
        values *= np.repeat(q_unit[cells], lengths)
        n_rows = len(self.activity_ids_)
        if n_rows <= DENSE_SUMS * len(serving):
            # one pass over the catalogue beats sorting the entries: bincount adds each row's
            # entries in input order, i.e. by cell, from 0
            dense = np.bincount(serving, weights=values, minlength=n_rows).astype(
                np.float64, copy=False
            )
            rows = (dense > 0).nonzero()[0]  # every entry is positive
            return rows, dense[rows]
        order = serving.argsort(kind="stable")
        serving, values = serving[order], values[order]
        first = np.ones(len(serving), dtype=bool)
        np.not_equal(serving[1:], serving[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        if len(starts) == len(serving):  # no activity serves two of the cells
            return serving.astype(np.intp), values
        # not np.add.reduceat, which adds a row's first entry to the sum of the others
        sums = np.bincount(first.cumsum() - 1, weights=values).astype(np.float64, copy=False)
        return serving[starts].astype(np.intp), sums

    def _allowed(self, c: Constraints, rows: NDArray[np.intp]) -> NDArray[np.bool_]:
        return constraint_mask(
            c, self.format_codes_[rows], self.durations_[rows], self.costs_[rows]
        )

    def _recommendations(
        self,
        profile: GapProfile,
        scored: _Scored,
        rows: list[int],
        scores: list[float],
        relevance: list[float],
        matched: list[list[str]],
    ) -> list[Recommendation]:
        """The picked rows as explained recommendations, in pick order."""
        if not rows:
            return []
        item_row = self.item_rows_.row
        q = scored.query.item  # a Python float per cell asked for
        cell_tags, ids, inferred_tags = self.cell_tags_, self.activity_ids_, self.inferred_tags_
        explainer = Explainer(scored.framework, scored.gaps)
        out = []
        for row, score, rel, terms in zip(rows, scores, relevance, matched, strict=True):
            cells, values = item_row(row)
            contributions = [w * q(c) for w, c in zip(values, cells, strict=True)]
            if len(cells) == 1:
                addresses: tuple[Tag, ...] = (cell_tags[cells[0]],) if contributions[0] > 0 else ()
            else:  # by contribution, stable: ties keep the cells' order
                order = sorted(range(len(cells)), key=contributions.__getitem__, reverse=True)
                addresses = tuple([cell_tags[cells[k]] for k in order if contributions[k] > 0])
            activity_id = str(ids[row])
            inferred = activity_id in inferred_tags
            why = explainer.why(addresses, inferred=inferred, matched_terms=terms)
            out.append(
                Recommendation(
                    activity_id, round(score, 4), round(rel, 4), addresses, why, inferred
                )
            )
        return out


class ScoreAdjuster(Protocol):
    """Rescales relevance per activity for one profile, e.g. from other people's feedback."""

    def factors(self, query: NDArray[np.float64], rows: NDArray[np.intp]) -> NDArray[np.float64]:
        """Multipliers (≥ 0) for the activities at `rows` of the fitted ranker, given the
        profile's unit query vector over the ranker's cells."""
        ...


@dataclass(frozen=True, slots=True)
class _Layout:
    """One framework's strands (position, first column) and level ranks, so that a profile's
    gaps are read off its own levels rather than by walking every strand of the framework."""

    strands: dict[str, tuple[int, int]]
    ranks: dict[str, int]

    @classmethod
    def of(cls, framework: Framework, space: CellSpace) -> _Layout:
        first = framework.level_ids[0]
        return cls(
            {
                s.id: (i, space.column[(framework.id, s.id, first)])
                for i, s in enumerate(framework.strands)
            },
            {level: i for i, level in enumerate(framework.level_ids)},
        )

    def gaps(self, profile: GapProfile) -> list[tuple[Gap, int]] | None:
        """`gaps(profile, framework)`, each with its strand's first column; None when
        `check_profile` would find a problem (it is left to name it)."""
        strands, ranks, priorities = self.strands, self.ranks, profile.priorities
        for strand_id in priorities:
            if strand_id not in strands:
                return None
        found = []
        for strand_id, level_gap in profile.levels.items():
            at = strands.get(strand_id)
            current = -1 if level_gap.current is None else ranks.get(level_gap.current)
            target = ranks.get(level_gap.target)
            if at is None or current is None or target is None or target < current:
                return None
            priority = priorities.get(strand_id, 1.0)
            if target > current and priority > 0:
                gap = Gap(strand_id, level_gap.current, level_gap.target, current, target, priority)
                found.append((at[0], gap, at[1]))
        found.sort(key=_first)
        return [(gap, column) for _, gap, column in found]


def _first(item: tuple[int, Gap, int]) -> int:
    return item[0]


@dataclass(slots=True)  # not frozen: cheaper to make, and never changed
class _Prepared:
    """A checked profile: its framework, gaps by strand, query weights and their norm."""

    framework: Framework
    gaps: Mapping[str, Gap]
    cells: list[int]
    strands: list[int]  # of the gaps, ascending (indexes into `space_.strands`)
    query: NDArray[np.float64]
    norm: float


@dataclass(slots=True)  # not frozen: cheaper to make, and never changed
class _Scored:
    """One profile's candidates: the activities serving a gap (ascending rows) and their
    relevance after the text boost and the constraints (0 where a constraint fails)."""

    framework: Framework
    gaps: Mapping[str, Gap]
    query: NDArray[np.float64]
    strands: list[int]
    rows: NDArray[np.intp]
    relevance: NDArray[np.float64]
    text: _Text | None  # the profile's `query`, if it boosted relevance


@dataclass(slots=True)  # not frozen: cheaper to make, and never changed
class _Text:
    """A profile's text query and each of its terms' part of the serving rows' text scores
    (terms × rows)."""

    query: TextQuery
    parts: NDArray[np.float64]


_NO_ROWS = np.zeros(0, dtype=np.intp)
BATCH = 64
"""Profiles `rank_many` scores together: large enough to spread the per-call overheads."""
DENSE_SUMS = 32
"""`_serving` sums over a dense catalogue-long array when it is at most this many times as
long as the entries to add up (a sort of the entries costs more below that)."""


def strand_masks(items: sp.csr_matrix, strand_of_cell: NDArray[np.intp]) -> list[int]:
    """Per row of `items`, the strands it has a tag in, as bits of an int (bit s: strand s)."""
    bits = [1 << s for s in strand_of_cell.tolist()]
    indptr, indices = items.indptr.tolist(), items.indices.tolist()
    masks = []
    for start, end in itertools.pairwise(indptr):
        mask = 0
        for cell in indices[start:end]:
            mask |= bits[cell]
        masks.append(mask)
    return masks


def allowed_mask(
    c: Constraints,
    formats: NDArray[np.object_],
    durations: NDArray[np.float64],
    costs: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """Which activities meet the hard constraints. Public so that baseline rankers filter
    exactly as the product does."""
    codes = np.array([FORMATS.index(f) for f in formats], dtype=np.int8)
    return constraint_mask(c, codes, durations, costs)


def constraint_mask(
    c: Constraints,
    format_codes: NDArray[np.int8],
    durations: NDArray[np.float64],
    costs: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """The one hard-constraint rule, on formats as indexes into `FORMATS` (fast per request);
    an unknown (NaN) duration or cost fails a limit on it."""
    allowed = np.ones(len(format_codes), dtype=bool)
    if c.formats is not None:
        wanted = np.zeros(len(FORMATS), dtype=bool)
        wanted[[FORMATS.index(f) for f in c.formats]] = True
        allowed &= wanted[format_codes]
    with np.errstate(invalid="ignore"):
        if c.max_duration_hours is not None:
            allowed &= durations <= c.max_duration_hours
        if c.max_cost is not None:
            allowed &= costs <= c.max_cost
    return allowed


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else value
