"""Tag inference: right strand for clear cases, nothing confident for word-sharing distractors.

The distractors here are written for this test and are not in the tagger's background corpus.
"""

from __future__ import annotations

import pytest
from sklearn.exceptions import NotFittedError

from recommender.activities import Activity
from recommender.frameworks import Framework
from recommender.ranker import GapRanker
from recommender.tagging import TagInferrer, background_corpus
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


def test_unfitted_tagger_refuses() -> None:
    with pytest.raises(NotFittedError):
        TagInferrer().predict([activity("X")])
