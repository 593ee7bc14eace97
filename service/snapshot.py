"""An immutable view of the catalogue and the ranker fitted on it, shared by all requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from recommender import make_ranker
from recommender.activities import Activity
from recommender.frameworks import Framework, by_id
from recommender.persistence import load_or_fit
from recommender.ranker import GapRanker
from service import store


@dataclass(frozen=True)
class Snapshot:
    frameworks: Mapping[str, Framework]
    activities: Mapping[str, Activity]
    ranker: GapRanker = field(repr=False)


def load_snapshot(session: Session, models_dir: Path | None) -> Snapshot:
    frameworks = store.frameworks(session)
    activities = store.activities(session)
    ranker = load_or_fit(models_dir, frameworks, activities, make_ranker)
    return Snapshot(by_id(frameworks), {a.id: a for a in activities}, ranker)
