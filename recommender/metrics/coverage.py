"""Coverage: of a profile's gaps by one list, and of the catalogue by all lists together."""

from __future__ import annotations

from collections.abc import Collection, Iterable


def gap_coverage(addressed: Iterable[Collection[str]], gaps: Collection[str]) -> float | None:
    """Share of `gaps` that at least one listed item addresses; None when there is no gap.

    `addressed` holds, per listed item, the gaps it addresses (anything outside `gaps` is
    ignored), so one broad item can cover several gaps.
    """
    if not gaps:
        return None
    covered = set().union(*addressed) & set(gaps)
    return len(covered) / len(set(gaps))


def catalogue_coverage(lists: Iterable[Iterable[str]], catalogue: Collection[str]) -> float:
    """Share of the catalogue recommended to at least one profile (1.0 for an empty one).

    Low coverage means the ranker keeps returning the same few items whatever the profile.
    """
    if not catalogue:
        return 1.0
    shown = {item for items in lists for item in items}
    return len(shown & set(catalogue)) / len(set(catalogue))
