"""Seeded synthetic data at benchmark scale: a 50 × 4 framework, catalogues, gap profiles.

The vocabulary is made of pronounceable pseudo-words, a handful per strand, plus the level cue
words the tagger knows and shared filler, so that text features (TF-IDF of the activity text,
the profile's `query`) and tag inference have real work to do. Everything is a pure function of
its arguments and the seed: two runs of the same command rank the same data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import numpy as np

from recommender.activities import FORMATS, Activity, Format, Tag
from recommender.frameworks import Framework
from recommender.profiles import GapProfile

FRAMEWORK_ID = "synthetic-50x4"
N_STRANDS = 50
LEVELS = ("l1", "l2", "l3", "l4")
WORDS_PER_STRAND = 8
STATEMENTS_PER_CELL = 2

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z")
_VOWELS = ("a", "e", "i", "o", "u")
_CUES = (
    ("introduction to", "getting started with", "the basics of", "first steps in"),
    ("apply", "practical", "with your learners", "in your teaching"),
    ("deepen", "evaluate", "build on", "extend"),
    ("lead", "whole-school", "strategy for", "coaching colleagues in"),
)
_FILLER = (
    "session", "workshop", "participants", "practice", "examples", "resources", "discussion",
    "planning", "review", "reflection", "tools", "hands-on", "colleagues", "learners",
    "classroom", "course", "module", "online", "materials", "activities", "support", "guide",
)  # fmt: skip


def _vocabulary(seed: int) -> list[list[str]]:
    """WORDS_PER_STRAND distinct pseudo-words per strand (three syllables each)."""
    rng = np.random.default_rng(seed)
    syllables = [o + v for o in _ONSETS for v in _VOWELS]
    seen: set[str] = set()
    words: list[str] = []
    while len(words) < N_STRANDS * WORDS_PER_STRAND:
        word = "".join(syllables[i] for i in rng.integers(0, len(syllables), 3))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return [words[i : i + WORDS_PER_STRAND] for i in range(0, len(words), WORDS_PER_STRAND)]


@dataclass(frozen=True)
class Synthetic:
    """The framework and vocabulary every synthetic catalogue and profile is drawn from."""

    framework: Framework
    vocabulary: list[list[str]]
    seed: int

    @classmethod
    def make(cls, seed: int = 0) -> Synthetic:
        vocabulary = _vocabulary(seed)
        rng = np.random.default_rng(seed + 1)
        strands = []
        for s, words in enumerate(vocabulary):
            descriptors = {
                level: [
                    f"I {_pick(rng, _CUES[r])} {' '.join(_pick_n(rng, words, 3))} "
                    f"{_pick(rng, _FILLER)}"
                    for _ in range(STATEMENTS_PER_CELL)
                ]
                for r, level in enumerate(LEVELS)
            }
            strands.append(
                {
                    "id": f"S{s + 1:02d}",
                    "title": " ".join(words[:2]).title(),
                    "descriptors": descriptors,
                }
            )
        framework = Framework.model_validate(
            {
                "id": FRAMEWORK_ID,
                "title": "Synthetic benchmark framework",
                "subject": "practitioner",
                "levels": [{"id": lv, "label": f"Level {i + 1}"} for i, lv in enumerate(LEVELS)],
                "strands": strands,
            }
        )
        return cls(framework, vocabulary, seed)

    def activities(self, n: int, *, untagged_share: float = 0.0) -> list[Activity]:
        """`n` activities with titles, ~40-word descriptions, formats, durations and costs.

        Each is about one main strand at one level (sometimes a second strand); a share of
        them loses its tags, as in a catalogue that coordinators have only partly tagged.
        """
        rng = np.random.default_rng(self.seed + 2 + n)
        fw = self.framework.id
        out = []
        for i in range(n):
            main = int(rng.integers(N_STRANDS))
            level = int(rng.integers(len(LEVELS)))
            words = self.vocabulary[main]
            tags = [Tag(framework=fw, strand=f"S{main + 1:02d}", level=LEVELS[level])]
            text = [_pick(rng, _CUES[level]), *_pick_n(rng, words, 3)]
            if rng.random() < 0.3:
                other = int(rng.integers(N_STRANDS))
                if other != main:
                    tags.append(Tag(framework=fw, strand=f"S{other + 1:02d}", level=LEVELS[level]))
                    text += _pick_n(rng, self.vocabulary[other], 2)
            if rng.random() < 0.2 and level + 1 < len(LEVELS):
                tags.append(Tag(framework=fw, strand=tags[0].strand, level=LEVELS[level + 1]))
            description = " ".join(
                [
                    *text,
                    *_pick_n(rng, words, 4),
                    *_pick_n(rng, _FILLER, 12),
                    _pick(rng, _CUES[level]),
                ]
            )
            out.append(
                Activity(
                    id=f"A{i:06d}",
                    title=f"{_pick(rng, _CUES[level]).capitalize()} {' '.join(words[:2])}",
                    description=description.capitalize() + ".",
                    format=cast(Format, FORMATS[int(rng.integers(len(FORMATS)))]),
                    duration_hours=None if rng.random() < 0.05 else float(rng.integers(1, 40)),
                    cost=None if rng.random() < 0.05 else float(rng.choice([0, 0, 25, 80, 200])),
                    provider=f"Provider {int(rng.integers(50))}",
                    url=f"https://example.org/a/{i}",
                    tags=() if rng.random() < untagged_share else tuple(tags),
                )
            )
        return out

    def profiles(self, n: int, *, seed: int = 0) -> Iterator[GapProfile]:
        """`n` gap profiles, generated lazily: 1–5 gaps, some priorities, constraints, queries."""
        rng = np.random.default_rng(self.seed + 1000 + seed)
        for i in range(n):
            strands = rng.choice(N_STRANDS, size=int(rng.integers(1, 6)), replace=False)
            levels: dict[str, dict[str, str | None]] = {}
            for s in strands:
                current = int(rng.integers(-1, len(LEVELS) - 1))
                target = int(rng.integers(current + 1, len(LEVELS)))
                levels[f"S{s + 1:02d}"] = {
                    "current": None if current < 0 else LEVELS[current],
                    "target": LEVELS[target],
                }
            data: dict[str, object] = {"id": f"P{i:06d}", "framework": self.framework.id}
            data["levels"] = levels
            if rng.random() < 0.3:
                data["priorities"] = {f"S{strands[0] + 1:02d}": 2.0}
            if rng.random() < 0.3:
                data["constraints"] = (
                    {"formats": list(_pick_n(rng, FORMATS, 3))}
                    if rng.random() < 0.5
                    else {"max_duration_hours": 20, "max_cost": 80}
                )
            if rng.random() < 0.3:
                data["query"] = " ".join(_pick_n(rng, self.vocabulary[int(strands[0])], 2))
            yield GapProfile.model_validate(data)


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _pick_n(rng: np.random.Generator, options: tuple[str, ...] | list[str], k: int) -> list[str]:
    return [options[int(i)] for i in np.argsort(rng.random(len(options)))[:k]]
