"""Side-by-side quality runs: the product ranker and the baselines on one catalogue, with its
tags kept, partly stripped or all stripped, so the tag-inference path is measured too.

List metrics always check against the true tags: the catalogue's original ones, or those of a
truth file (`tag_evaluation.read_truth`) for the activities it lists. Tag-based baselines
see the catalogue as the product ranker sees it (given tags, else the tags it inferred with
enough confidence to rank with), so they differ from it only in how they rank.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np

from recommender import make_ranker
from recommender.activities import Activity, Tag
from recommender.baselines import baselines
from recommender.cells import Cell
from recommender.evaluation import Judgements, Report, Truth, evaluate, mean_report
from recommender.frameworks import Framework
from recommender.profiles import GapProfile
from recommender.ranker import GapRanker

PRODUCT = "cpdrec"
"""The name reports give the product ranker (`recommender.make_ranker()`)."""


def strip_tags(activities: Sequence[Activity], share: float, seed: int = 0) -> list[Activity]:
    """A copy with every tag removed from a random `share` of the activities (all at 1)."""
    if not 0 <= share <= 1:
        raise ValueError("share must lie in [0, 1]")
    n = round(share * len(activities))
    rng = np.random.default_rng(seed)
    stripped = set(rng.choice(len(activities), size=n, replace=False).tolist())
    return [
        a.model_copy(update={"tags": ()}) if i in stripped else a for i, a in enumerate(activities)
    ]


def with_tags(
    activities: Sequence[Activity], tags: Mapping[str, Collection[Cell]]
) -> list[Activity]:
    """The activities with their tags replaced by `tags` where it lists them."""
    return [
        a.model_copy(
            update={
                "tags": tuple(
                    Tag(framework=f, strand=s, level=level) for f, s, level in sorted(tags[a.id])
                )
            }
        )
        if a.id in tags
        else a
        for a in activities
    ]


def as_seen(ranker: GapRanker, activities: Sequence[Activity]) -> list[Activity]:
    """The activities with the tags the fitted ranker ranks with: given ones, else the
    inferred ones at or above its `min_tag_confidence`."""
    return [
        a.model_copy(
            update={
                "tags": tuple(
                    t.tag for t in ranker.tags_for(a) if t.confidence >= ranker.min_tag_confidence
                )
            }
        )
        for a in activities
    ]


def compare(
    frameworks: Sequence[Framework],
    activities: Sequence[Activity],
    profiles: Sequence[GapProfile],
    judgements: Judgements,
    *,
    k: int = 5,
    strip_share: float = 0.0,
    seeds: int = 1,
    with_baselines: bool = False,
    make: Callable[[], GapRanker] = make_ranker,
    truth: Mapping[str, Collection[Cell]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Report]:
    """Reports by ranker name, the product first, each the mean over `seeds` random strippings
    (one run when nothing or everything is stripped, as then nothing is random but the random
    baseline, seeded with 0). `truth` gives the true tags of activities it lists (the rankers
    never see them). `progress(done, total)`, if given, is called once at the start and after
    each ranker is fitted and evaluated, so a caller can show how far a long run is."""
    runs = seeds if 0 < strip_share < 1 else 1
    true_tags = Truth.of(frameworks, with_tags(activities, truth or {}))
    reports: dict[str, list[Report]] = {}
    total = runs * (1 + (len(baselines()) if with_baselines else 0))

    def tick() -> None:
        if progress is not None:
            progress(sum(map(len, reports.values())), total)

    tick()
    for seed in range(runs):
        catalogue = strip_tags(activities, strip_share, seed)
        product = make().fit(frameworks, catalogue)
        reports.setdefault(PRODUCT, []).append(
            evaluate(product, profiles, judgements, k, truth=true_tags)
        )
        tick()
        if not with_baselines:
            continue
        seen = as_seen(product, catalogue)
        for name, baseline in baselines(random_state=seed).items():
            baseline.fit(frameworks, seen)
            reports.setdefault(name, []).append(
                evaluate(baseline, profiles, judgements, k, truth=true_tags)
            )
            tick()
    return {name: mean_report(runs_) for name, runs_ in reports.items()}
