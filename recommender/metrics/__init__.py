"""Offline metrics, one family per module: ranking, coverage, diversity, constraints,
calibration. Everything is re-exported here."""

from __future__ import annotations

from recommender.metrics.calibration import (
    Bin,
    brier_score,
    expected_calibration_error,
    reliability_table,
)
from recommender.metrics.constraints import violates
from recommender.metrics.coverage import catalogue_coverage, gap_coverage
from recommender.metrics.diversity import intra_list_diversity, jaccard_dissimilarity
from recommender.metrics.ranking import dcg, ndcg_at_k, precision_at_k

__all__ = [
    "Bin",
    "brier_score",
    "catalogue_coverage",
    "dcg",
    "expected_calibration_error",
    "gap_coverage",
    "intra_list_diversity",
    "jaccard_dissimilarity",
    "ndcg_at_k",
    "precision_at_k",
    "reliability_table",
    "violates",
]
