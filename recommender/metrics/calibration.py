"""Calibration of probabilities: reliability table, expected calibration error, Brier score.

A tag's confidence claims "right about this often"; the reliability table puts that claim
next to how often such tags were right (Guo et al. 2017, "On Calibration of Modern Neural
Networks", §2, for the binned ECE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Bin:
    """Predictions whose confidence lies in [lower, upper) (the last bin includes 1)."""

    lower: float
    upper: float
    count: int
    mean_confidence: float
    accuracy: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def reliability_table(
    confidences: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> list[Bin]:
    """Equal-width confidence bins over [0, 1], empty bins left out."""
    if len(confidences) != len(correct):
        raise ValueError("confidences and correct must have the same length")
    if n_bins <= 0:
        raise ValueError("n_bins must be positive")
    members: list[list[int]] = [[] for _ in range(n_bins)]
    for i, p in enumerate(confidences):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"confidence {p} is not a probability")
        members[min(int(p * n_bins), n_bins - 1)].append(i)
    return [
        Bin(
            lower=b / n_bins,
            upper=(b + 1) / n_bins,
            count=len(rows),
            mean_confidence=sum(confidences[i] for i in rows) / len(rows),
            accuracy=sum(1 for i in rows if correct[i]) / len(rows),
        )
        for b, rows in enumerate(members)
        if rows
    ]


def expected_calibration_error(bins: Sequence[Bin]) -> float:
    """Σ (count / total) × |accuracy − mean confidence| over the bins; 0 when there are none."""
    total = sum(b.count for b in bins)
    if total == 0:
        return 0.0
    return sum(b.count / total * abs(b.accuracy - b.mean_confidence) for b in bins)


def brier_score(confidences: Sequence[float], correct: Sequence[bool]) -> float:
    """Mean squared gap between confidence and outcome (0 is perfect); 0 when empty."""
    if len(confidences) != len(correct):
        raise ValueError("confidences and correct must have the same length")
    if not confidences:
        return 0.0
    pairs = zip(confidences, correct, strict=True)
    return sum((p - float(c)) ** 2 for p, c in pairs) / len(confidences)
