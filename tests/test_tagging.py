"""Tag inference: right strand for clear cases, nothing confident for word-sharing distractors.

The distractors here are written for this test and are not in the tagger's background corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from recommender.activities import Activity
from recommender.frameworks import Framework
from recommender.ranker import GapRanker
from recommender.tagging import TagInferrer, background_corpus, fit_cold_start_models
from tests.conftest import activity

DISTRACTORS = {
    "sheets": (
        "Spreadsheet skills: cleaning and charting data",
        "Office staff practise sorting and filtering data, removing duplicates, writing "
        "lookup formulas and building charts of sales data for the monthly finance "
        "report. Bring a laptop with a spreadsheet program installed.",
    ),
    "minibus": (
        "Peer mentoring for minibus drivers",
        "Experienced drivers mentor colleagues who have just passed their minibus test: "
        "accompanied journeys, planning routes, checking tyres and lights, loading "
        "wheelchairs safely and keeping calm with passengers on long trips.",
    ),
    "bakery": (
        "Community bakery: sourdough for beginners",
        "An introductory weekend at a community bakery. Mix, shape and bake sourdough "
        "loaves, learn how starters work, and take home a jar of starter and recipes "
        "for rye and spelt breads.",
    ),
    "boiler": (
        "Safeguarding school boilers against winter failure",
        "Site managers learn to service and protect heating plant: bleeding radiators, "
        "checking pressure, lagging pipes against frost and keeping maintenance logs "
        "that satisfy the insurer's inspection.",
    ),
}

CLEAR = {
    "1.3": (
        "Keeping learner records safe and lawful",
        "A short course for tutors on data protection: how to store learners' personal "
        "data securely on the college network and VLE, when consent is needed, how long "
        "to keep assessment records, and what to do if learner data is lost or shared "
        "with the wrong person.",
    ),
    "5a-4": (
        "Online safety training for all staff",
        "Whole-staff training on the school's digital safeguarding strategy: recognising "
        "online risks to pupils, reporting concerns, safe and acceptable use of new "
        "technologies, and keeping e-safety knowledge up to date each year.",
    ),
}


@pytest.fixture(scope="module")
def tagger(frameworks: list[Framework], activities: list[Activity]) -> TagInferrer:
    return TagInferrer().fit(frameworks, activities)


def as_activity(key: str, pair: tuple[str, str]) -> Activity:
    return activity(key, title=pair[0], description=pair[1])


def test_the_background_corpus_does_not_contain_the_test_distractors() -> None:
    corpus = " ".join(background_corpus()).lower()
    assert len(background_corpus()) >= 40
    for title, _ in DISTRACTORS.values():
        assert title.lower() not in corpus


def test_word_sharing_distractors_stay_below_one_half(tagger: TagInferrer) -> None:
    predicted = tagger.predict([as_activity(k, v) for k, v in DISTRACTORS.items()])
    for key, tags in zip(DISTRACTORS, predicted, strict=True):
        assert all(t.confidence < 0.5 for t in tags), (key, tags)


def test_clear_activities_get_their_strand_confidently(tagger: TagInferrer) -> None:
    predicted = tagger.predict([as_activity(k, v) for k, v in CLEAR.items()])
    for strand, tags in zip(CLEAR, predicted, strict=True):
        assert tags, strand
        assert tags[0].tag.strand == strand
        assert tags[0].confidence >= 0.5
        assert [t.confidence for t in tags] == sorted((t.confidence for t in tags), reverse=True)


def test_held_out_activities_mostly_get_the_right_strand(
    frameworks: list[Framework], activities: list[Activity]
) -> None:
    train, test = activities[::2], activities[1::2]
    tagger = TagInferrer(min_confidence=0.0).fit(frameworks, train)
    hits = sum(
        bool(tags)
        and any(
            t.strand == tags[0].tag.strand and t.framework == tags[0].tag.framework for t in a.tags
        )
        for a, tags in zip(test, tagger.predict(test), strict=True)
    )
    assert hits / len(test) >= 0.8


def test_confident_tags_are_mostly_right(
    frameworks: list[Framework], activities: list[Activity]
) -> None:
    """A crude calibration check: tags at >= 0.5 are right at least half the time."""
    train, test = activities[::2], activities[1::2]
    tagger = TagInferrer(min_confidence=0.5).fit(frameworks, train)
    right = total = 0
    for a, tags in zip(test, tagger.predict(test), strict=True):
        for t in tags:
            total += 1
            right += t.tag in a.tags
    assert total >= 10
    assert right / total >= 0.5


def test_one_cells_inferred_tags_are_one_object(tagger: TagInferrer) -> None:
    """A saved ranker pickles each cell's tag once (loading 10k inferred tags is then about
    8× faster) only if every activity's tag for a cell is the same object."""
    predicted = tagger.predict([as_activity(k, pair) for k, pair in CLEAR.items()] * 2)
    seen: dict[object, object] = {}
    tags = [scored.tag for found in predicted for scored in found]
    assert len(tags) > len(set(tags))  # some cells come up more than once
    assert all(seen.setdefault(tag, tag) is tag for tag in tags)


def test_inferred_tags_feed_the_ranker_and_are_marked(
    frameworks: list[Framework], activities: list[Activity]
) -> None:
    untagged = as_activity("NEW", CLEAR["5a-4"])
    ranker = GapRanker(tagger=TagInferrer()).fit(frameworks, [*activities, untagged])
    assert ranker.tags_for(untagged) and ranker.tags_for(untagged)[0].tag.strand == "5a-4"
    from recommender.profiles import parse_profile

    level = ranker.tags_for(untagged)[0].tag.level
    profile = parse_profile(
        {"framework": "naace-srf-5a", "levels": {"5a-4": {"current": None, "target": "1"}}}
    )
    recs = {r.activity: r for r in ranker.rank(profile, 50)}
    assert "NEW" in recs, level
    assert recs["NEW"].inferred and "inferred" in recs["NEW"].why


def test_without_a_tagger_untagged_activities_are_never_recommended(
    frameworks: list[Framework], activities: list[Activity]
) -> None:
    untagged = as_activity("NEW", CLEAR["5a-4"])
    ranker = GapRanker().fit(frameworks, [*activities, untagged])
    from recommender.profiles import parse_profile

    profile = parse_profile(
        {"framework": "naace-srf-5a", "levels": {"5a-4": {"current": None, "target": "1"}}}
    )
    assert "NEW" not in {r.activity for r in ranker.rank(profile, 50)}


def test_an_untagged_catalogue_still_gets_confident_mostly_right_tags(
    frameworks: list[Framework], activities: list[Activity]
) -> None:
    """Cold start: with no tagged activity the shipped cold-start models stand in.

    They were learnt from these very activities, so this checks behaviour, not accuracy (the
    README reports held-out figures): confident tags exist, mostly right, distractors below.
    """
    untagged = [a.model_copy(update={"tags": ()}) for a in activities]
    tagger = TagInferrer().fit(frameworks, untagged)
    assert tagger.cold_start_ and tagger.n_training_activities_ == 0
    predicted = tagger.predict(untagged)
    tops = [(a, tags[0]) for a, tags in zip(activities, predicted, strict=True) if tags]
    confident = [(a, top) for a, top in tops if top.confidence >= 0.5]
    assert len(confident) >= len(activities) / 2
    assert sum(top.tag in a.tags for a, top in confident) / len(confident) >= 0.6
    for key, tags in zip(
        DISTRACTORS,
        tagger.predict([as_activity(k, v) for k, v in DISTRACTORS.items()]),
        strict=True,
    ):
        assert all(t.confidence < 0.5 for t in tags), (key, tags)


def test_enough_tagged_activities_replace_the_cold_start_models(
    frameworks: list[Framework], activities: list[Activity]
) -> None:
    assert not TagInferrer().fit(frameworks, activities).cold_start_


def test_the_shipped_cold_start_models_match_a_refit(
    frameworks: list[Framework], activities: list[Activity], tmp_path: Path
) -> None:
    """`resources/cold_start.json` is `fit_cold_start_models` on the starter catalogue; when
    the features change it goes stale, and this test writes the refitted file to copy over."""
    shipped_path = Path(__file__).parents[1] / "recommender" / "resources" / "cold_start.json"
    refitted = fit_cold_start_models(frameworks, activities)
    fresh = tmp_path / "cold_start.json"
    fresh.write_text(json.dumps(refitted, indent=1) + "\n", encoding="utf-8")
    shipped = json.loads(shipped_path.read_text("utf-8"))
    hint = f"stale {shipped_path}: copy {fresh} over it"
    assert {k: v for k, v in shipped.items() if k not in ("level_model", "calibrator")} == {
        k: v for k, v in refitted.items() if k not in ("level_model", "calibrator")
    }, hint
    for model in ("level_model", "calibrator"):
        for key, value in refitted[model].items():
            assert np.allclose(shipped[model][key], value, rtol=1e-3, atol=1e-3), hint


def test_unfitted_tagger_refuses() -> None:
    with pytest.raises(NotFittedError):
        TagInferrer().predict([activity("X")])


def test_stemming_is_safe_from_several_threads_at_once() -> None:
    """A request may infer tags while a background refit does: a shared snowball stemmer
    corrupted words (or raised IndexError) when two threads used it together."""
    import threading

    from recommender import text

    words = [f"organisation{i}ings" for i in range(20_000)]
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def stem(part: int) -> None:
        try:
            results[part] = [text._stem(w) for w in words[part::4]]
        except BaseException as exc:  # the old stemmer raised IndexError here
            errors.append(exc)

    threads = [threading.Thread(target=stem, args=(part,)) for part in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    text._stem.cache_clear()
    assert all(results[p] == [text._stem(w) for w in words[p::4]] for p in range(4))
