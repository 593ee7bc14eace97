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
    main = addresses[0]
    gap = by_strand[main.strand]
    strand = framework.strand(main.strand)
    who = "your school" if framework.subject == "organisation" else "you"
    level = framework.level_label(main.level)
    if gap.current is None:
        step = f"Helps {who} reach {level}"
    elif framework.rank(main.level) == gap.current_rank + 1:
        step = f"Helps {who} move from {framework.level_label(gap.current)} to {level}"
    else:
        nxt = framework.level_label(framework.level_ids[gap.current_rank + 1])
        step = f"Prepares {who} for {level}, beyond the next step ({nxt})"
    sentence = f"{step} in {strand.id} {strand.title}"
    if len(by_strand) > 1 and gap.priority > max(
        g.priority for s, g in by_strand.items() if s != main.strand
    ):
        sentence += ", the top-priority gap"
    others = list(dict.fromkeys(t.strand for t in addresses if t.strand != main.strand))
    if others:
        sentence += "; also covers " + ", ".join(
            f"{s} {framework.strand(s).title}" for s in others[:2]
        )
    if matched_terms:
        quoted = ", ".join(f"“{term}”" for term in matched_terms)
        sentence += f"; matches {quoted} from the request"
    if inferred:
        sentence += " (tags inferred from its description)"
    return sentence + "."
