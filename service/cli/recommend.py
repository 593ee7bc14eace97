"""`cpdrec recommend`: stateless batch ranking of profile files (CONTRACT §4)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated

import typer

from recommender import make_ranker
from recommender.activities import load_catalogue
from recommender.frameworks import by_id, load_frameworks
from recommender.persistence import load_or_fit
from recommender.profiles import read_profiles
from service.cli.common import CatalogueFile, FrameworkFiles, emit, settings, user_errors
from service.cli.progress import bars


def recommend(
    framework: FrameworkFiles,
    catalogue: CatalogueFile,
    profiles: Annotated[
        Path,
        typer.Option(help="Gap profiles, one JSON object per line.", exists=True, dir_okay=False),
    ],
    limit: Annotated[int, typer.Option(min=1, max=50, help="Items per profile.")] = 5,
) -> None:
    """Rank the catalogue for each profile; print one JSON line per profile, in input order.

    Stateless: nothing is stored. The fitted ranker is cached under the models folder.
    """
    with user_errors():
        frameworks = load_frameworks(framework)
        activities = load_catalogue(catalogue, by_id(frameworks))
        stream = read_profiles(profiles, by_id(frameworks))
        first = next(stream, None)  # the whole file is validated before the first profile
    with bars(stdout_is_data=True) as progress:
        with progress.step("loading the ranker"):
            ranker = load_or_fit(settings().models_dir, frameworks, activities, make_ranker)
        done = progress.task("ranking profiles", count_profiles(profiles))
        # one pass, nothing kept: each line is printed as soon as its profile is ranked
        ours, ranked = itertools.tee(itertools.chain([first] if first else [], stream))
        for profile, recs in zip(ours, ranker.rank_many(ranked, limit), strict=True):
            emit({"profile": profile.id, "items": [r.to_dict() for r in recs]})
            done.advance()


def count_profiles(path: Path) -> int:
    """The bar's total: non-blank lines, each a profile once the file has been validated."""
    with path.open(encoding="utf-8") as lines:
        return sum(1 for line in lines if line.strip())
