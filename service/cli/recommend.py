"""`cpdrec recommend`: stateless batch ranking of profile files (CONTRACT §4)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from recommender import make_ranker
from recommender.activities import load_catalogue
from recommender.frameworks import by_id, load_frameworks
from recommender.persistence import load_or_fit
from recommender.profiles import read_profiles
from service.cli.common import CatalogueFile, FrameworkFiles, emit, settings, user_errors


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
        parsed = list(read_profiles(profiles, by_id(frameworks)))
    ranker = load_or_fit(settings().models_dir, frameworks, activities, make_ranker)
    for profile, recs in zip(parsed, ranker.rank_many(parsed, limit), strict=True):
        emit({"profile": profile.id, "items": [r.to_dict() for r in recs]})
