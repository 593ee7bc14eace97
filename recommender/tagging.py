"""Tag inference: which (framework, strand, level) cells an untagged activity serves.

Two questions, answered separately and then calibrated on held-out data:

* **Which strand?** Similarity of the activity text to each strand's centroid (built from the
  strand's statements and the activities already tagged to it) plus a logistic-regression
  classifier over the same texts, with a *background* class of ordinary workplace training so
  that sharing one word ("data", "mentoring") with a strand is not enough.
* **Which level?** Per level of that strand: similarity to the cell's own centroid, similarity
  to what that level sounds like across the framework's strands (its level centroid), and
  closeness to the position that level cue words put the text at. A logistic model learnt
  from the catalogue's tagged activities weighs the three.

Raw scores become probabilities with out-of-fold calibration (logistic, i.e. Platt scaling):
each tagged activity is scored by a model that never saw it, so a confidence of 0.8 means
"right about 80% of the time on held-out data like this", not "looks similar".

With fewer than `MIN_ACTIVITIES_TO_CALIBRATE` tagged activities there is nothing to learn the
level weights and the calibration from, and framework statements are no substitute: held out,
a statement's own cell is the top guess for 7-23% of them (its siblings describe other
behaviours), against 57-68% of activities, so calibrating on statements left every confidence
below 0.5. A cold start therefore uses the level model and calibrator learnt in the same
conditions (a statements-only model tagging the 95 hand-tagged starter activities, see
`fit_cold_start_models`), shipped in `resources/cold_start.json`. Both read only relative,
framework-agnostic features, and they transfer: on the labelled set's activities outside the
starter catalogue (some for a framework invented for it), cold-start tags at >= 0.5 were right
84-88% of the time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_is_fitted

from recommender.activities import Activity, Tag
from recommender.cells import Cell, CellSpace, normalise_rows
from recommender.frameworks import Framework
from recommender.text import cue_position, level_cues, make_tagger_vectoriser


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
MAX_TRAINING_ACTIVITIES = 1000
STRAND_FEATURES = (
    "similarity / best strand's",
    "probability / best strand's",
    "similarity - best other strand's",
    "1 - background probability",
    "best strand similarity",
)
LEVEL_FEATURES = (
    "cell similarity / strand's best",
    "cell similarity",
    "level-centroid similarity / strand's best",
    "closeness to the cue position",
    "level position (0 lowest, 1 highest)",
)
CANDIDATE_FEATURES = (*STRAND_FEATURES, "level probability", "level margin", "first strand")


def background_corpus() -> list[str]:
    text = resources.files("recommender").joinpath("resources/background.txt").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


class _Scorer:
    """Uncalibrated strand and level scores; refitted per fold during calibration, over one
    vectoriser fitted once per `TagInferrer.fit` (tokenising dominates the cost of a fit)."""

    def __init__(
        self,
        space: CellSpace,
        level_of_cell: NDArray[np.intp],
        vectoriser: TfidfVectorizer,
        seed: int,
    ) -> None:
        self.space = space
        self.level_of_cell = level_of_cell  # index of each cell's (framework, level) pair
        self.vectoriser = vectoriser
        self.seed = seed

    def fit(self, samples: Sequence[Sample], X: sp.csr_matrix) -> _Scorer:
        """Learn from `samples`, whose normalised vectors are the rows of `X`."""
        space = self.space
        labels = np.full(len(samples), len(space.strands))  # background class by default
        rows: list[int] = []
        cols: list[int] = []
        for i, sample in enumerate(samples):
            rows.extend(space.column[cell] for cell in sample.cells)
            cols.extend(i for _ in sample.cells)
            if sample.cells:
                labels[i] = space.strand_of_cell[space.column[min(sample.cells)]]
        members = sp.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(space.n_cells, len(samples))
        )
        n_levels = int(self.level_of_cell.max(initial=-1)) + 1
        cell_to_level = sp.csr_matrix(
            (np.ones(space.n_cells), (np.arange(space.n_cells), self.level_of_cell)),
            shape=(space.n_cells, n_levels),
        )
        self.cell_centroids = normalise_rows(sp.csr_matrix(members @ X))
        self.strand_centroids = normalise_rows(_binary(space.cell_to_strand.T @ members) @ X)
        self.level_centroids = normalise_rows(_binary(cell_to_level.T @ members) @ X)
        # saga: the same optimum as lbfgs here, several times faster on wide sparse TF-IDF
        self.classifier = LogisticRegression(
            C=10.0, solver="saga", max_iter=3000, class_weight="balanced", random_state=self.seed
        )
        self.classifier.fit(X, labels)
        return self

    def score(self, texts: Sequence[str]) -> _Scores:
        return self.score_rows(normalise_rows(self.vectoriser.transform(texts)), texts)

    def score_rows(self, X: sp.csr_matrix, texts: Sequence[str]) -> _Scores:
        """Per text (vectorised in `X`): strand similarity, strand (+ background)
        probability, cell similarity, level-centroid similarity per cell, and cue position
        (NaN without cues)."""
        proba = np.zeros((len(texts), len(self.space.strands) + 1))
        proba[:, self.classifier.classes_] = self.classifier.predict_proba(X)
        cues = [cue_position(level_cues(t)) for t in texts]
        return _Scores(
            strand_sim=(X @ self.strand_centroids.T).toarray(),
            proba=proba,
            cell_sim=(X @ self.cell_centroids.T).toarray(),
            level_sim=(X @ self.level_centroids.T).toarray()[:, self.level_of_cell],
            cue_position=np.array([np.nan if c is None else c for c in cues]),
        )


def _binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(matrix)
    out.data[:] = 1.0
    return out


def _strand_features(
    strand_sim: NDArray[np.float64], proba: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Features of every (text, strand) pair, shape (n_texts, n_strands, 5): STRAND_FEATURES.

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
    level_sim: NDArray[np.float64]
    cue_position: NDArray[np.float64]


class TagInferrer(BaseEstimator):  # type: ignore[misc]
    """Infers calibrated (framework, strand, level) tags from an activity's title and text.

    Parameters
    ----------
    max_tags : most tags returned per activity.
    min_confidence : tags below this calibrated confidence are not returned.
    n_folds : folds for out-of-fold level learning and calibration.
    level_bandwidth : width of the cue-position kernel on the 0..1 level scale (the shipped
        cold-start models were learnt with the default).
    random_state : seed for the folds and the solver.

    Fitted attributes end in ``_``; ``n_training_activities_`` counts the tagged activities it
    learnt from (besides the framework statements and the background texts), and
    ``cold_start_`` says whether the shipped cold-start models stood in for learnt ones.
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
        self._set_space(frameworks)
        samples = self._samples(frameworks, activities)
        self.n_training_activities_ = sum(1 for s in samples if s.kind == "activity")
        self.cold_start_ = self.n_training_activities_ < MIN_ACTIVITIES_TO_CALIBRATE
        self.vectoriser_ = make_tagger_vectoriser().fit([s.text for s in samples])
        X = normalise_rows(self.vectoriser_.transform([s.text for s in samples]))
        # the final scorer and the folds' are independent fits, whose solver releases the
        # GIL: on several cores they run side by side (the same models, sooner)
        with ThreadPoolExecutor(max_workers=_workers()) as pool:
            final = pool.submit(self._scorer().fit, samples, X)
            if self.cold_start_:
                self.level_model_, self.calibrator_ = _cold_start_models()
            else:
                held_out = self._out_of_fold(samples, X, pool=pool)
                self.level_model_ = self._fit_level_model(held_out)
                self.calibrator_ = self._fit_calibrator(held_out)
            self.scorer_ = final.result()
        return self

    def _set_space(self, frameworks: Sequence[Framework]) -> None:
        self.space_ = CellSpace.from_frameworks(frameworks)
        self.positions_ = np.array(
            [
                f.rank(level) / max(1, len(f.level_ids) - 1)
                for f in frameworks
                for _strand in f.strands
                for level in f.level_ids
            ]
        )
        levels = [(c[0], c[2]) for c in self.space_.cells]
        index = {pair: i for i, pair in enumerate(dict.fromkeys(levels))}
        self.level_of_cell_ = np.array([index[pair] for pair in levels], dtype=np.intp)

    def _scorer(self) -> _Scorer:
        return _Scorer(self.space_, self.level_of_cell_, self.vectoriser_, self.random_state)

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
        tagged = [
            Sample(a.text, cells, "activity")
            for a in activities
            if (
                cells := frozenset(
                    (t.framework, t.strand, t.level)
                    for t in a.tags
                    if self.space_.tag_column(t) is not None
                )
            )
        ]
        samples.extend(self._spread(tagged))
        samples.extend(Sample(text, frozenset(), "background") for text in background_corpus())
        return samples

    def _spread(self, tagged: list[Sample]) -> list[Sample]:
        """At most MAX_TRAINING_ACTIVITIES of the tagged activities, spread evenly over the
        strands: beyond that, more barely changes ~15 calibration numbers and two centroids
        per cell, and fitting a 10k-activity catalogue stays within seconds."""
        if len(tagged) <= MAX_TRAINING_ACTIVITIES:
            return tagged
        by_strand: dict[int, list[Sample]] = {}
        rng = np.random.default_rng(self.random_state)
        for i in rng.permutation(len(tagged)).tolist():
            sample = tagged[i]
            strand = int(self.space_.strand_of_cell[self.space_.column[min(sample.cells)]])
            by_strand.setdefault(strand, []).append(sample)
        per_strand = max(1, MAX_TRAINING_ACTIVITIES // len(by_strand))
        return [s for members in by_strand.values() for s in members[:per_strand]]

    def _out_of_fold(
        self,
        samples: Sequence[Sample],
        X: sp.csr_matrix,
        *,
        never_train: frozenset[str] = frozenset(),
        pool: Executor | None = None,
    ) -> list[tuple[Sample, _Scores]]:
        """Each activity and background text scored by a model fitted without it.

        Framework statements always stay in training, as they do when a real activity is
        tagged; kinds in `never_train` are only ever scored. The folds' models are fitted side
        by side (on `pool`, else on threads of their own) and used in fold order.
        """
        always = [i for i, s in enumerate(samples) if s.kind == "statement"]
        others = np.array([i for i, s in enumerate(samples) if s.kind != "statement"])
        scored: list[tuple[Sample, _Scores]] = []
        folds = KFold(n_splits=self.n_folds, shuffle=True, random_state=self.random_state)
        with ExitStack() as stack:
            if pool is None:
                pool = stack.enter_context(ThreadPoolExecutor(max_workers=_workers()))
            splits = []
            for train, test in folds.split(others):
                fitted = [
                    *always,
                    *(i for i in others[train] if samples[i].kind not in never_train),
                ]
                job = pool.submit(self._scorer().fit, [samples[i] for i in fitted], X[fitted])
                splits.append((fitted, test, job))
        for fitted, test, job in splits:
            scorer = job.result()
            # words only the held-out texts use would be unknown to a model fitted without them
            seen = np.zeros(X.shape[1])
            seen[X[fitted].indices] = 1.0
            held = normalise_rows(sp.csr_matrix(X[others[test]] @ sp.diags(seen)))
            scores = scorer.score_rows(held, [samples[i].text for i in others[test]])
            scored.extend((samples[i], _row(scores, k)) for k, i in enumerate(others[test]))
        return scored

    def _level_features(
        self, strand: int, scores: _Scores
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """The strand's cells and, per cell, LEVEL_FEATURES: how well its level fits."""
        cols = np.flatnonzero(self.space_.strand_of_cell == strand)
        sims, level_sims = scores.cell_sim[0, cols], scores.level_sim[0, cols]
        position = self.positions_[cols]
        cue = scores.cue_position[0]
        closeness = (
            np.zeros(len(cols))
            if np.isnan(cue)
            else np.exp(-((position - cue) ** 2) / (2 * self.level_bandwidth**2))
        )
        features = np.stack(
            [_relative(sims), sims, _relative(level_sims), closeness, position], axis=1
        )
        return cols, features

    def _fit_level_model(self, held_out: Sequence[tuple[Sample, _Scores]]) -> _Logistic:
        """Learn which level of a known strand a text is about ("is this the true level?").

        Learnt from tagged activities only: a held-out framework statement is often the only
        statement of its cell, so its true level looks unfamiliar by construction.
        """
        features: list[NDArray[np.float64]] = []
        labels: list[bool] = []
        for sample, scores in held_out:
            if sample.kind != "activity":
                continue
            for strand in {self.space_.strand_of_cell[self.space_.column[c]] for c in sample.cells}:
                cols, x = self._level_features(int(strand), scores)
                features.append(x)
                labels.extend(self.space_.cells[c] in sample.cells for c in cols)
        return _Logistic.fit(np.vstack(features), np.array(labels))

    def _fit_calibrator(self, held_out: Sequence[tuple[Sample, _Scores]]) -> _Logistic:
        """Logistic calibration of candidates' features against whether they are right.

        The level probabilities among those features come from level models fitted on the
        other folds: read from a model fitted on the same texts they look surer than they are
        (cross-fitting moved tags at 0.8-0.9 from 76% to 85% right on the labelled set).
        """
        features: list[NDArray[np.float64]] = []
        labels: list[bool] = []
        fold_of = np.arange(len(held_out)) % self.n_folds
        np.random.default_rng(self.random_state).shuffle(fold_of)
        for fold in range(self.n_folds):
            part = [held_out[i] for i in np.flatnonzero(fold_of == fold).tolist()]
            rest = [held_out[i] for i in np.flatnonzero(fold_of != fold).tolist()]
            if not part:
                continue
            level_model = (
                self._fit_level_model(rest)
                if any(s.kind == "activity" for s, _ in rest)
                else self.level_model_
            )
            rows = [scores for _, scores in part]  # one batch: see `_candidates_many`
            batch = _Scores(
                *(np.concatenate([getattr(r, n) for r in rows]) for n in _Scores.__slots__)
            )
            candidates = self._candidates_many(batch, level_model)
            for (sample, _), found in zip(part, candidates, strict=True):
                for col, x in found:
                    features.append(x)
                    labels.append(self.space_.cells[col] in sample.cells)
        return _Logistic.fit(np.array(features), np.array(labels))

    def _candidates_many(
        self, scores: _Scores, level_model: _Logistic | None = None
    ) -> list[list[tuple[int, NDArray[np.float64]]]]:
        """Per text, the best level of each of its `max_tags` likeliest strands, with their
        CANDIDATE_FEATURES; one level-model call for the whole batch (a scikit-learn call per
        candidate costs more than the arithmetic it does)."""
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
        level_model = self.level_model_ if level_model is None else level_model
        p_all = level_model.predict_proba(np.vstack(features))[:, 1]
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
        confidence = self.calibrator_.predict_proba(np.array(flat))[:, 1] if flat else np.zeros(0)
        results = []
        at = 0
        # One Tag per cell, shared by every activity: a saved ranker then pickles each cell's
        # tag once, and loading it is 8× faster than unpickling a model per inferred tag.
        tags: dict[int, Tag] = {}
        for candidates in per_text:
            found = []
            for col, _ in candidates:
                p = confidence[at]
                at += 1
                if p >= self.min_confidence:
                    if col not in tags:
                        framework, strand, level = self.space_.cells[col]
                        tags[col] = Tag(framework=framework, strand=strand, level=level)
                    found.append(ScoredTag(tags[col], round(float(p), 3)))
            results.append(sorted(found, key=lambda t: -t.confidence))
        return results


def _workers() -> int:
    """Threads for independent model fits: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _relative(values: NDArray[np.float64]) -> NDArray[np.float64]:
    top = values.max(initial=0.0)
    return values / top if top > 0 else values


def _row(scores: _Scores, k: int) -> _Scores:
    return _Scores(*(getattr(scores, name)[k : k + 1] for name in _Scores.__slots__))


@dataclass(frozen=True)
class _Logistic:
    """Logistic regression on standardised features, kept as plain numbers so that the
    cold-start models can be shipped as JSON."""

    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    coef: NDArray[np.float64]
    intercept: float

    @classmethod
    def fit(cls, features: NDArray[np.float64], labels: NDArray[np.bool_]) -> _Logistic:
        """Lightly regularised (C=1 on standardised features). With C=100 the eight-feature
        calibrator fitted its training folds too closely: on held-out activities, tags at
        0.5-0.8 were right ~10 points less often than they said (ECE 0.024 -> 0.013)."""
        if labels.all() or not labels.any():
            features = np.vstack([features, np.zeros_like(features[:1])])
            labels = np.append(labels, not labels[0])
        mean = features.mean(axis=0)
        scale = features.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=1.0, max_iter=5000).fit((features - mean) / scale, labels)
        return cls(mean, scale, model.coef_[0], float(model.intercept_[0]))

    def predict_proba(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        z = ((features - self.mean) / self.scale) @ self.coef + self.intercept
        p = 1.0 / (1.0 + np.exp(-z))
        return np.stack([1.0 - p, p], axis=1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> _Logistic:
        return cls(
            np.array(data["mean"]),
            np.array(data["scale"]),
            np.array(data["coef"]),
            float(data["intercept"]),
        )


def fit_cold_start_models(
    frameworks: Sequence[Framework], activities: Sequence[Activity], *, random_state: int = 0
) -> dict[str, Any]:
    """The level model and calibrator for catalogues with too few tagged activities, learnt
    in those conditions: a model that knows only the framework statements tags `activities`
    (and held-out background texts), and both are fitted to how right it was.

    The shipped `resources/cold_start.json` is this function's output on the two shipped
    frameworks and the starter catalogue; `tests/test_tagging.py` fails, and writes the
    refitted file for you to copy, when it goes stale.
    """
    tagger = TagInferrer(random_state=random_state)
    tagger._set_space(frameworks)
    samples = tagger._samples(frameworks, activities)
    known = [s.text for s in samples if s.kind != "activity"]  # as in a real cold start
    tagger.vectoriser_ = make_tagger_vectoriser().fit(known)
    X = normalise_rows(tagger.vectoriser_.transform([s.text for s in samples]))
    held_out = tagger._out_of_fold(samples, X, never_train=frozenset({"activity"}))
    tagger.level_model_ = tagger._fit_level_model(held_out)
    calibrator = tagger._fit_calibrator(held_out)
    return {
        "about": "TagInferrer cold-start models: recommender.tagging.fit_cold_start_models",
        "fitted_on": {
            "frameworks": [f.id for f in frameworks],
            "tagged_activities": sum(1 for s in samples if s.kind == "activity"),
        },
        "level_features": list(LEVEL_FEATURES),
        "candidate_features": list(CANDIDATE_FEATURES),
        "level_model": tagger.level_model_.to_dict(),
        "calibrator": calibrator.to_dict(),
    }


@cache
def _cold_start_models() -> tuple[_Logistic, _Logistic]:
    path = resources.files("recommender").joinpath("resources/cold_start.json")
    data = json.loads(path.read_text("utf-8"))
    if (data["level_features"], data["candidate_features"]) != (
        list(LEVEL_FEATURES),
        list(CANDIDATE_FEATURES),
    ):
        raise RuntimeError("resources/cold_start.json is stale: see fit_cold_start_models")
    return _Logistic.from_dict(data["level_model"]), _Logistic.from_dict(data["calibrator"])
