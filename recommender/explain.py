"""Plain-words reasons: which gap an activity closes, from where to where, and why it ranks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from recommender.activities import Tag
from recommender.frameworks import Framework
from recommender.profiles import Gap, GapProfile, gaps


def explain(
    profile: GapProfile,
    framework: Framework,
    addresses: Sequence[Tag],
    *,
    inferred: bool = False,
    matched_terms: Sequence[str] = (),
    gaps_by_strand: Mapping[str, Gap] | None = None,
) -> str:
    """One sentence naming the main gap an activity addresses and what else supports it.

    `gaps_by_strand` is the profile's gaps when the caller has them already (the ranker
    explains several items per profile), so they are not worked out again for every item.
    """
    by_strand = (
        gaps_by_strand
        if gaps_by_strand is not None
        else {gap.strand: gap for gap in gaps(profile, framework)}
    )
    return Explainer(framework, by_strand).why(
        addresses, inferred=inferred, matched_terms=matched_terms
    )


class Explainer:
    """`explain` for the items of one profile: what every item's sentence shares (who, the
    top-priority gap) is worked out once, and each gap step's wording once per level."""

    __slots__ = ("_framework", "_gaps", "_steps", "_top", "_who")

    def __init__(self, framework: Framework, gaps_by_strand: Mapping[str, Gap]) -> None:
        self._framework = framework
        self._gaps = gaps_by_strand
        self._who = "your school" if framework.subject == "organisation" else "you"
        self._steps: dict[tuple[str, str], str] = {}
        # the gap whose priority is above every other gap's, if one is
        self._top: str | None = None
        if len(gaps_by_strand) > 1:
            ranked = sorted(gaps_by_strand.values(), key=_priority, reverse=True)
            if ranked[0].priority > ranked[1].priority:
                self._top = ranked[0].strand

    def why(
        self, addresses: Sequence[Tag], *, inferred: bool = False, matched_terms: Sequence[str] = ()
    ) -> str:
        """The sentence for an item addressing `addresses`, its main tag first."""
        main = addresses[0]
        key = (main.strand, main.level)
        sentence = self._steps.get(key)
        if sentence is None:
            sentence = self._steps[key] = self._step(main)
        if len(addresses) > 1:
            others = list(dict.fromkeys(t.strand for t in addresses if t.strand != main.strand))
            if others:
                framework = self._framework
                sentence += "; also covers " + ", ".join(
                    f"{s} {framework.strand(s).title}" for s in others[:2]
                )
        if matched_terms:
            quoted = ", ".join(f"“{term}”" for term in matched_terms)
            sentence += f"; matches {quoted} from the request"
        if inferred:
            sentence += " (tags inferred from its description)"
        return sentence + "."

    def _step(self, main: Tag) -> str:
        framework, who = self._framework, self._who
        gap = self._gaps[main.strand]
        strand = framework.strand(main.strand)
        level = framework.level_label(main.level)
        if gap.current is None:
            step = f"Helps {who} reach {level}"
        elif framework.rank(main.level) == gap.current_rank + 1:
            step = f"Helps {who} move from {framework.level_label(gap.current)} to {level}"
        else:
            nxt = framework.level_label(framework.level_ids[gap.current_rank + 1])
            step = f"Prepares {who} for {level}, beyond the next step ({nxt})"
        sentence = f"{step} in {strand.id} {strand.title}"
        if main.strand == self._top:
            sentence += ", the top-priority gap"
        return sentence


def _priority(gap: Gap) -> float:
    return gap.priority
