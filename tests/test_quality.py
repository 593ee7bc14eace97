"""Ranking quality on the labelled set in tests/data/eval (see its README).

Floors, justified in the project README from the figures measured on this set:

* every tag given: the ranker measures 0.99 nDCG@5, a strand-matching baseline that ignores
  levels about 0.47 and a random order about 0.11, so 0.95 catches a regression in level
  handling or diversity without failing on ties;
* every tag stripped, so the ranker sees only inferred tags (a catalogue nobody has tagged
  yet): the ranker measures 0.82 and plain TF-IDF retrieval of the gap strands' statements
  0.73, so 0.78 (issue 3 asks for 0.75, clearly above the text baselines) catches a tagger
  that stops reaching the ranker, as it did before cold-start calibration (0.04-0.09).
"""

from __future__ import annotations

import pytest

import catalogue
from recommender import make_ranker
from recommender.activities import Activity, load_catalogue
from recommender.baselines import TfidfRetrieval
from recommender.evaluation import evaluate, read_judgements
from recommender.frameworks import Framework, by_id, load_frameworks
from recommender.profiles import GapProfile, read_profiles
from recommender.ranker import GapRanker
from tests.conftest import DATA

EVAL = DATA / "eval"
NDCG_FLOOR = 0.95
STRIPPED_NDCG_FLOOR = 0.78
STRIPPED_MARGIN_OVER_TEXT = 0.05

Judgements = dict[str, dict[str, float]]


@pytest.fixture(scope="module")
def eval_frameworks() -> list[Framework]:
    shipped = sorted(catalogue.FRAMEWORKS_DIR.glob("*.json"))
    return load_frameworks([*shipped, *sorted((EVAL / "frameworks").glob("*.json"))])


@pytest.fixture(scope="module")
def eval_activities(eval_frameworks: list[Framework]) -> list[Activity]:
    known = by_id(eval_frameworks)
    files = [catalogue.STARTER_CATALOGUE, *sorted(EVAL.glob("*.csv"))]
    return [a for path in files for a in load_catalogue(path, known)]


@pytest.fixture(scope="module")
def labelled(eval_frameworks: list[Framework]) -> tuple[list[GapProfile], Judgements]:
    profiles = list(read_profiles(EVAL / "profiles.jsonl", by_id(eval_frameworks)))
    assert len(profiles) >= 40
    assert {p.framework for p in profiles} == {f.id for f in eval_frameworks}
    return profiles, read_judgements(EVAL / "judgements.jsonl")


def test_ndcg_at_5_stays_above_the_floor(
    eval_frameworks: list[Framework],
    eval_activities: list[Activity],
    labelled: tuple[list[GapProfile], Judgements],
) -> None:
    profiles, judgements = labelled
    ranker = make_ranker().fit(eval_frameworks, eval_activities)
    report = evaluate(ranker, profiles, judgements, k=5)
    assert report.ndcg >= NDCG_FLOOR, report.per_profile


def test_an_untagged_catalogue_still_ranks_well_above_text_search(
    eval_frameworks: list[Framework],
    eval_activities: list[Activity],
    labelled: tuple[list[GapProfile], Judgements],
) -> None:
    profiles, judgements = labelled
    untagged = [a.model_copy(update={"tags": ()}) for a in eval_activities]
    ranker = make_ranker().fit(eval_frameworks, untagged)
    ndcg = evaluate(ranker, profiles, judgements, k=5).ndcg
    text = TfidfRetrieval().fit(eval_frameworks, eval_activities)
    assert ndcg >= STRIPPED_NDCG_FLOOR
    assert ndcg >= evaluate(text, profiles, judgements, k=5).ndcg + STRIPPED_MARGIN_OVER_TEXT


def test_the_metric_can_fail(
    eval_frameworks: list[Framework],
    eval_activities: list[Activity],
    labelled: tuple[list[GapProfile], Judgements],
) -> None:
    """A ranker that cannot see the catalogue's tags falls far below the floor."""
    profiles, judgements = labelled
    untagged = [a.model_copy(update={"tags": ()}) for a in eval_activities]
    blind = GapRanker().fit(eval_frameworks, untagged)
    assert evaluate(blind, profiles, judgements, k=5).ndcg < 0.2
