"""The shipped catalogue meets the bar set for it: size, text, and coverage of every cell."""

from __future__ import annotations

from collections import Counter

from recommender.activities import FORMATS, Activity
from recommender.frameworks import Framework


def test_size_and_descriptions(activities: list[Activity]) -> None:
    assert len(activities) >= 80
    assert all(len(a.description.split()) >= 50 for a in activities)
    assert len({a.title for a in activities}) == len(activities)
    assert {a.format for a in activities} == set(FORMATS)


def test_every_cell_is_covered_at_least_twice(
    activities: list[Activity], frameworks: list[Framework]
) -> None:
    counts = Counter((t.framework, t.strand, t.level) for a in activities for t in a.tags)
    for f in frameworks:
        for strand in f.strands:
            for level_id in f.level_ids:
                assert counts[(f.id, strand.id, level_id)] >= 2, (f.id, strand.id, level_id)


def test_some_activities_serve_both_frameworks(activities: list[Activity]) -> None:
    both = [a for a in activities if len({t.framework for t in a.tags}) == 2]
    assert len(both) >= 5
