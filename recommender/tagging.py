"""Tag inference: which (framework, strand, level) cells an untagged activity serves.

Two questions, answered separately and then calibrated on held-out data:

* **Which strand?** Similarity of the activity text to each strand's centroid (built from the
  strand's statements and the activities already tagged to it) plus a logistic-regression
  classifier over the same texts, with a *background* class of ordinary workplace training so
  that sharing one word ("data", "mentoring") with a strand is not enough.
* **Which level?** Similarity to each level's own statements and tagged activities, combined
  with a position on an introductory → leading scale predicted from the text (a ridge model
  learnt from whatever is tagged, plus cue words), which maps onto any number of levels.

Raw scores become probabilities with out-of-fold calibration (logistic, i.e. Platt scaling):
each sample is scored by a model that never saw it, so a confidence of 0.8 means "right about
80% of the time on held-out data like this", not "looks similar".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from recommender.activities import Activity, Tag
from recommender.cells import Cell, CellSpace, normalise_rows
from recommender.frameworks import Framework
from recommender.text import cue_position, level_cues, make_vectoriser


@dataclass(frozen=True, slots=True)
class ScoredTag:
    """A tag with the confidence that it is right; given tags have confidence 1."""

    tag: Tag
    confidence: float
    inferred: bool = True

    def to_dict(self) -> dict[str, str | float | bool]:
        return {**self.tag.model_dump(), "confidence": self.confidence, "inferred": self.inferred}


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    cells: frozenset[Cell]  # empty for background (unrelated) samples
    kind: Literal["statement", "activity", "background"]


MIN_ACTIVITIES_TO_CALIBRATE = 20


def background_corpus() -> list[str]:
    text = resources.files("recommender").joinpath("resources/background.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


class _Scorer:
    """Uncalibrated strand and level scores; refitted per fold during calibration."""

    def __init__(self, space: CellSpace, positions: NDArray[np.float64]) -> None:
        self.space = space
        self.positions = positions  # relative level position (0..1) of each cell

    def fit(self, samples: Sequence[Sample]) -> _Scorer:
        space = self.space
        self.vectoriser = make_vectoriser().fit([s.text for s in samples])
        X = normalise_rows(self.vectoriser.transform([s.text for s in samples]))
        n_strands = len(space.strands)
        cell_members = sp.lil_matrix((space.n_cells, len(samples)))
        labels = np.full(len(samples), n_strands)  # background class by default
        for i, sample in enumerate(samples):
            for cell in sample.cells:
                cell_members[space.column[cell], i] = 1.0
            if sample.cells:
                labels[i] = space.strand_of_cell[space.column[min(sample.cells)]]
        cell_members = cell_members.tocsr()
        strand_members = sp.csr_matrix(space.cell_to_strand.T @ cell_members)
        strand_members.data[:] = 1.0
        self.cell_centroids = normalise_rows(sp.csr_matrix(cell_members @ X))
        self.strand_centroids = normalise_rows(sp.csr_matrix(strand_members @ X))
        self.classifier = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")
        self.classifier.fit(X, labels)
        with_cells = [i for i, s in enumerate(samples) if s.cells]
        targets = [
            float(np.mean([self.positions[space.column[c]] for c in samples[i].cells]))
            for i in with_cells
        ]
        self.position_model = Ridge(alpha=1.0).fit(X[with_cells], targets)
        return self

    def score(self, texts: Sequence[str]) -> _Scores:
        """Per text: strand similarity, strand (+ background) probability, cell similarity,
        level position."""
        X = normalise_rows(self.vectoriser.transform(texts))
        strand_sim = (X @ self.strand_centroids.T).toarray()
        proba = np.zeros((len(texts), len(self.space.strands) + 1))
        proba[:, self.classifier.classes_] = self.classifier.predict_proba(X)
        cell_sim = (X @ self.cell_centroids.T).toarray()
        learnt = np.clip(self.position_model.predict(X), 0.0, 1.0)
        position = np.array(
            [
                p if (c := cue_position(level_cues(t))) is None else 0.5 * p + 0.5 * c
                for p, t in zip(learnt, texts, strict=True)
            ]
        )
        return _Scores(strand_sim, proba, cell_sim, position)


def _strand_features(
    strand_sim: NDArray[np.float64], proba: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Features of every (text, strand) pair, shape (n_texts, n_strands, 5).

    Mostly relative (to the text's best strand) so that they mean the same for a one-line
    statement and a long description; the background probability and the best similarity
    say whether the text belongs to the frameworks' domain at all.
    """
    strand_proba, background = proba[:, :-1], proba[:, -1:]
    best_other = np.empty_like(strand_sim)
    for j in range(strand_sim.shape[1]):
        best_other[:, j] = np.delete(strand_sim, j, axis=1).max(axis=1, initial=0.0)
    top_sim = strand_sim.max(axis=1, keepdims=True)
    top_proba = strand_proba.max(axis=1, keepdims=True)
    shape = strand_sim.shape
    return np.stack(
        [
            strand_sim / np.where(top_sim > 0, top_sim, 1.0),
            strand_proba / np.where(top_proba > 0, top_proba, 1.0),
            strand_sim - best_other,
            np.broadcast_to(1.0 - background, shape),
            np.broadcast_to(top_sim, shape),
        ],
        axis=-1,
    )


@dataclass(frozen=True, slots=True)
class _Scores:
    """The scorer's outputs for a batch of texts (see `_Scorer.score`)."""

    strand_sim: NDArray[np.float64]
    proba: NDArray[np.float64]
    cell_sim: NDArray[np.float64]
    position: NDArray[np.float64]


class TagInferrer(BaseEstimator):  # type: ignore[misc]
    """Infers calibrated (framework, strand, level) tags from an activity's title and text.

    Parameters
    ----------
    max_tags : most tags returned per activity.
    min_confidence : tags below this calibrated confidence are not returned.
    n_folds : folds for out-of-fold level learning and calibration.
    level_bandwidth : width of the level-position kernel on the 0..1 scale.
    random_state : seed for the folds.

    Fitted attributes end in ``_``; ``n_training_activities_`` counts the tagged activities it
    learnt from (besides the framework statements and the background texts).
    """

    def __init__(
        self,
        *,
        max_tags: int = 3,
        min_confidence: float = 0.2,
        n_folds: int = 5,
        level_bandwidth: float = 0.25,
        random_state: int = 0,
    ) -> None:
        self.max_tags = max_tags
        self.min_confidence = min_confidence
        self.n_folds = n_folds
        self.level_bandwidth = level_bandwidth
        self.random_state = random_state

    def fit(
        self, frameworks: Sequence[Framework], activities: Sequence[Activity] = ()
    ) -> TagInferrer:
        self.space_ = CellSpace.from_frameworks(frameworks)
        self.positions_ = np.array(
            [
                f.rank(level) / max(1, len(f.level_ids) - 1)
                for f in frameworks
                for _strand in f.strands
                for level in f.level_ids
            ]
        )
        samples = self._samples(frameworks, activities)
        held_out = self._out_of_fold(samples)
        self.level_model_ = self._fit_level_model(held_out)
        self.calibrator_ = self._fit_calibrator(held_out)
        self.scorer_ = _Scorer(self.space_, self.positions_).fit(samples)
        self.n_training_activities_ = sum(1 for s in samples if s.kind == "activity")
        return self

    def _samples(
        self, frameworks: Sequence[Framework], activities: Sequence[Activity]
    ) -> list[Sample]:
        samples: list[Sample] = []
        for framework in frameworks:
            for strand in framework.strands:
                for level_id, statements in strand.descriptors.items():
                    cell = frozenset({(framework.id, strand.id, level_id)})
                    samples.extend(
                        Sample(f"{strand.title}. {s}", cell, "statement") for s in statements
                    )
        for activity in activities:
            cells = frozenset(
                (t.framework, t.strand, t.level)
                for t in activity.tags
                if self.space_.tag_column(t) is not None
            )
            if cells:
                samples.append(Sample(activity.text, cells, "activity"))
        samples.extend(Sample(text, frozenset(), "background") for text in background_corpus())
        return samples

    def _out_of_fold(self, samples: Sequence[Sample]) -> list[tuple[Sample, _Scores]]:
        """Each sample scored by a model fitted without it.

        Once the catalogue has enough tagged activities, only activities and background texts
        are kept, as they resemble what will be tagged; framework statements alone are
        shorter and would make every confidence too modest.
        """
        n_activities = sum(1 for s in samples if s.kind == "activity")
        kinds = {"activity", "background"}
        if n_activities < MIN_ACTIVITIES_TO_CALIBRATE:
            kinds.add("statement")
        scored: list[tuple[Sample, _Scores]] = []
        folds = KFold(n_splits=self.n_folds, shuffle=True, random_state=self.random_state)
        for train, test in folds.split(np.arange(len(samples))):
            held_out = [samples[i] for i in test if samples[i].kind in kinds]
            if held_out:
                scorer = _Scorer(self.space_, self.positions_).fit([samples[i] for i in train])
                scores = scorer.score([s.text for s in held_out])
                scored.extend((sample, _row(scores, k)) for k, sample in enumerate(held_out))
        return scored

    def _level_features(
        self, strand: int, scores: _Scores
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """The strand's cells and, per cell, features saying how well its level fits."""
        cols = np.flatnonzero(self.space_.strand_of_cell == strand)
        sims = scores.cell_sim[0, cols]
        relative = sims / sims.max() if sims.max() > 0 else sims
        distance = np.abs(self.positions_[cols] - scores.position[0])
        closeness = np.exp(-(distance**2) / (2 * self.level_bandwidth**2))
        features = np.stack([relative, sims, closeness, distance, self.positions_[cols]], axis=1)
        return cols, features

    def _fit_level_model(
        self, held_out: Sequence[tuple[Sample, _Scores]]
    ) -> Pipeline | _BlendedLevels:
        """Learn which level of a known strand a text is about ("is this the true level?").

        Learnt from tagged activities only: a held-out framework statement is often the only
        statement of its cell, so its true level looks unfamiliar by construction. Without
        enough tagged activities, a fixed blend of similarity and cue position decides.
        """
        activities = [(s, sc) for s, sc in held_out if s.kind == "activity"]
        if len(activities) < MIN_ACTIVITIES_TO_CALIBRATE:
            return _BlendedLevels()
        features: list[NDArray[np.float64]] = []
        labels: list[bool] = []
        for sample, scores in activities:
            for strand in {self.space_.strand_of_cell[self.space_.column[c]] for c in sample.cells}:
                cols, x = self._level_features(int(strand), scores)
                features.append(x)
                labels.extend(self.space_.cells[c] in sample.cells for c in cols)
        return _platt(np.vstack(features), np.array(labels))

    def _fit_calibrator(self, held_out: Sequence[tuple[Sample, _Scores]]) -> Pipeline:
        features: list[NDArray[np.float64]] = []
        labels: list[bool] = []
        for sample, scores in held_out:
            for col, x in self._candidates(scores):
                features.append(x)
                labels.append(self.space_.cells[col] in sample.cells)
        return _platt(np.array(features), np.array(labels))

    def _candidates(self, scores: _Scores) -> list[tuple[int, NDArray[np.float64]]]:
        """The best level of each of the text's `max_tags` likeliest strands, as features."""
        pair = _strand_features(scores.strand_sim, scores.proba)[0]
        order = np.argsort(-(pair[:, 0] + pair[:, 1]), kind="stable")
        candidates = []
        for rank, j in enumerate(order[: self.max_tags]):
            cols, x = self._level_features(int(j), scores)
            p_level = self.level_model_.predict_proba(x)[:, 1]
            ranked = np.argsort(-p_level, kind="stable")
            runner_up = p_level[ranked[1]] if len(ranked) > 1 else 0.0
            level_x = [p_level[ranked[0]], p_level[ranked[0]] - runner_up, float(rank == 0)]
            candidates.append((int(cols[ranked[0]]), np.concatenate([pair[j], level_x])))
        return candidates

    def _candidates_many(self, scores: _Scores) -> list[list[tuple[int, NDArray[np.float64]]]]:
        """`_candidates` of every text in a batch, with one level-model call for them all
        (a scikit-learn call per candidate costs more than the arithmetic it does)."""
        pairs = _strand_features(scores.strand_sim, scores.proba)
        orders = np.argsort(-(pairs[..., 0] + pairs[..., 1]), axis=1, kind="stable")
        picked: list[tuple[int, int, NDArray[np.intp]]] = []  # (text, strand, its cells)
        features: list[NDArray[np.float64]] = []
        for k in range(len(pairs)):
            row = _row(scores, k)
            for j in orders[k, : self.max_tags].tolist():
                cols, x = self._level_features(j, row)
                picked.append((k, j, cols))
                features.append(x)
        candidates: list[list[tuple[int, NDArray[np.float64]]]] = [[] for _ in pairs]
        if not features:
            return candidates
        p_all = self.level_model_.predict_proba(np.vstack(features))[:, 1]
        ends = np.cumsum([len(x) for x in features]).tolist()
        for (k, j, cols), end, x in zip(picked, ends, features, strict=True):
            p_level = p_all[end - len(x) : end]
            ranked = np.argsort(-p_level, kind="stable")
            runner_up = p_level[ranked[1]] if len(ranked) > 1 else 0.0
            first = float(not candidates[k])
            level_x = [p_level[ranked[0]], p_level[ranked[0]] - runner_up, first]
            candidates[k].append((int(cols[ranked[0]]), np.concatenate([pairs[k, j], level_x])))
        return candidates

    def predict(self, activities: Sequence[Activity]) -> list[list[ScoredTag]]:
        """Inferred tags per activity, most confident first (given tags are ignored)."""
        check_is_fitted(self, "scorer_")
        if not activities:
            return []
        scores = self.scorer_.score([a.text for a in activities])
        per_text = self._candidates_many(scores)
        flat = [x for candidates in per_text for _, x in candidates]
        confidence = self.calibrator_.predict_proba(np.array(flat))[:, 1] if flat else []
        results = []
        at = 0
        for candidates in per_text:
            found = []
            for col, _ in candidates:
                p = confidence[at]
                at += 1
                if p >= self.min_confidence:
                    framework, strand, level = self.space_.cells[col]
                    tag = Tag(framework=framework, strand=strand, level=level)
                    found.append(ScoredTag(tag, round(float(p), 3)))
            results.append(sorted(found, key=lambda t: -t.confidence))
        return results


class _BlendedLevels:
    """Level chooser before any activity is tagged: half similarity, half cue position."""

    def predict_proba(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        p = 0.5 * features[:, 0] + 0.5 * features[:, 2]
        return np.stack([1 - p, p], axis=1)


def _row(scores: _Scores, k: int) -> _Scores:
    return _Scores(*(getattr(scores, name)[k : k + 1] for name in _Scores.__slots__))


def _platt(features: NDArray[np.float64], labels: NDArray[np.bool_]) -> Pipeline:
    """Logistic calibration on standardised features, barely regularised.

    Strong regularisation on small-valued features would pull every probability towards the
    base rate, i.e. make confidences systematically too modest.
    """
    if labels.all() or not labels.any():
        features = np.vstack([features, np.zeros_like(features[:1])])
        labels = np.append(labels, not labels[0])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=100.0, max_iter=5000))
    return model.fit(features, labels)
