"""cpdrec's pure core: frameworks, catalogues, gap profiles, ranking, tag inference, metrics.

Nothing here knows about HTTP or storage; `service` wraps it.
"""

from __future__ import annotations

from recommender.ranker import GapRanker
from recommender.tagging import TagInferrer


def make_ranker() -> GapRanker:
    """The ranker as the product ships it: default parameters, tag inference on."""
    return GapRanker(tagger=TagInferrer())


__all__ = ["GapRanker", "TagInferrer", "make_ranker"]
