"""Accessible SVG charts of self-assessments, drawn on the server so pages need no JavaScript.

Each function returns `Markup` for a template to insert as is. The root is `role="img"` labelled
by its `<title>` and a `<desc>` that says in words what the picture shows, so a screen reader
gets the same facts. Levels are plotted by position in `Framework.level_ids` (lowest first),
never by id or label, so a 4→1 maturity scale reads left to right like any other. The viewBox is
360 units wide — a phone's width — so text keeps its size there; strand titles sit above their
bars rather than beside them. Colours are explicit (WCAG AA on white), target and met states
also differ in shape or text, and every element has a `cpd-chart__*` class for page CSS.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from datetime import datetime

from markupsafe import Markup, escape

from recommender.frameworks import Framework

Levels = Mapping[str, tuple[str | None, str | None]]
"""Strand id -> (current level id, target level id); ``None`` current = below the lowest level."""
History = Sequence[tuple[datetime, Levels]]

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH, MARGIN = 360, 8
FONT, SMALL = 15, 13
EM_PER_CHAR = 0.6
"""A generous average glyph width, so estimated text lengths err towards fitting."""

INK = "#111827"  # contrast on white 17.7:1
MUTED = "#374151"  # 10.3:1
GRID = "#6b7280"  # 4.8:1
TRACK = "#f3f4f6"  # decorative, behind the bars
CURRENT = "#1d4ed8"  # 6.7:1
TARGET = "#b91c1c"  # 6.5:1, and a different shape from the bar
MET = "#15803d"  # 5.0:1

PLOT_X = (MARGIN + 100.0, float(WIDTH - MARGIN))
"""Progress panels' plot area across, after a column for the level labels."""

_CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def gap_chart(framework: Framework, levels: Levels, *, title: str, chart_id: str = "gap") -> Markup:
    """One row per assessed strand: a bar up to the current level and a diamond at the target."""
    strands = _assessed(framework, [levels])
    x0, x1 = MARGIN, WIDTH - MARGIN - 8  # room for a target diamond at the top level
    step = (x1 - x0) / len(framework.level_ids)
    body = [_legend([("bar", "Current level"), ("diamond", "Target"), ("check", "Target met")])]
    y: float = MARGIN + 30
    for strand_id in strands:
        row, y = _gap_row(framework, strand_id, levels[strand_id], x0, x1, y)
        body.append(row)
    if not strands:
        body.append(_el("text", _text("No strands assessed."), x=MARGIN, y=y + FONT))
        y += FONT + 10
    axis, lines = _level_axis(framework, x0, step, y)
    body.append(axis)
    return _svg(
        chart_id,
        "gap",
        title,
        _gap_summary(framework, levels, strands),
        y + lines * (SMALL + 4) + 10,
        body,
    )


def progress_chart(
    framework: Framework, history: History, *, title: str, chart_id: str = "progress"
) -> Markup:
    """One small panel per strand: the current level as a step line over the assessment dates
    and the target dashed; the y axis has a "Not started" floor below the lowest level."""
    history = sorted(history, key=lambda entry: entry[0])
    strands = _assessed(framework, [levels for _, levels in history])
    m = len(history)
    (px0, px1), pad = PLOT_X, 42
    if m == 1:
        xs = [(px0 + px1) / 2]
    else:
        xs = [px0 + pad + i * (px1 - px0 - 2 * pad) / (m - 1) for i in range(m)]
    ticks = _date_ticks([_date(when) for when, _ in history], xs)
    body = [_legend([("line", "Current level"), ("dashed", "Target")])]
    y: float = MARGIN + 30
    for strand_id in strands:
        panel, y = _progress_panel(framework, strand_id, history, xs, ticks, y)
        body.append(panel)
    if not strands:
        body.append(_el("text", _text("No strands assessed."), x=MARGIN, y=y + FONT))
        y += FONT + 10
    summary = _progress_summary(framework, history, strands)
    return _svg(chart_id, "progress", title, summary, y, body)


def _gap_row(
    framework: Framework,
    strand_id: str,
    levels: tuple[str | None, str | None],
    x0: float,
    x1: float,
    y: float,
) -> tuple[str, float]:
    """A strand's row from `y` and where the next starts; met is also said and ticked."""
    current, target = levels
    n = len(framework.level_ids)
    step = (x1 - x0) / n
    cur, tgt = framework.rank(current) + 1, framework.rank(target) + 1
    met = target is not None and cur >= tgt
    parts, ty = _heading(framework, strand_id, y)
    ty += 6
    parts.append(
        _el("rect", x=x0, y=ty, width=x1 - x0, height=20, fill=TRACK, class_="cpd-chart__track")
    )
    parts.extend(
        _el(
            "line",
            x1=x0 + k * step,
            x2=x0 + k * step,
            y1=ty - 3,
            y2=ty + 23,
            stroke=GRID,
            stroke_dasharray="2 3" if k else None,
            class_="cpd-chart__grid" if k else "cpd-chart__axis",
        )
        for k in range(n + 1)
    )
    parts.append(
        _el(
            "rect",
            x=x0,
            y=ty,
            width=cur * step,
            height=20,
            fill=MET if met else CURRENT,
            class_="cpd-chart__bar" + (" cpd-chart__bar--met" if met else ""),
        )
    )
    if target is not None:
        parts.append(_target_marker(x0 + tgt * step, ty + 10, "cpd-chart__target"))
    status = _fit(_status(framework, current, target, met), x1 - x0)
    parts.append(_small(status, x0, ty + 37, "cpd-chart__status", fill=MET if met else MUTED))
    return _el("g", *parts, class_="cpd-chart__row", data_strand=strand_id), ty + 53


def _progress_panel(
    framework: Framework,
    strand_id: str,
    history: History,
    xs: list[float],
    ticks: list[tuple[float, str, int]],
    y: float,
) -> tuple[str, float]:
    """A strand's panel from `y` and where the next starts; a gap in its history breaks it."""
    n = len(framework.level_ids)
    px0, px1 = PLOT_X
    names = ["Not started", *map(framework.level_label, framework.level_ids)]
    parts, top = _heading(framework, strand_id, y)
    bottom = top + 10 + n * 22

    def ypos(level_id: str | None, bottom: float = bottom) -> float:
        return bottom - (framework.rank(level_id) + 1) * 22

    for position, name in enumerate(names):
        py = bottom - position * 22
        parts.append(
            _el(
                "line",
                x1=px0,
                x2=px1,
                y1=py,
                y2=py,
                stroke=GRID,
                stroke_dasharray="2 3" if position else None,
                class_="cpd-chart__grid" if position else "cpd-chart__axis",
            )
        )
        parts.append(
            _small(
                _fit(name, px0 - MARGIN - 6),
                px0 - 6,
                py,
                "cpd-chart__tick",
                dy="0.35em",
                text_anchor="end",
            )
        )
    parts.extend(
        _small(text, x, bottom + 20 + line * (SMALL + 4), "cpd-chart__tick", text_anchor="middle")
        for x, text, line in ticks
    )
    seen = [(x, lv[strand_id]) for x, (_, lv) in zip(xs, history, strict=True) if strand_id in lv]
    current = [(x, ypos(cur)) for x, (cur, _) in seen]
    target = [(x, None if tgt is None else ypos(tgt)) for x, (_, tgt) in seen]
    for d, colour, dashes, cls in [
        (_steps(current, 16, lone=False), CURRENT, None, "cpd-chart__line"),
        (_steps(target, 20, lone=True), TARGET, "6 4", "cpd-chart__target"),
    ]:
        if d:
            parts.append(
                _el(
                    "path",
                    d=d,
                    fill="none",
                    stroke=colour,
                    stroke_width=3,
                    stroke_dasharray=dashes,
                    class_=cls,
                )
            )
    parts.extend(
        _el(
            "circle",
            cx=x,
            cy=cy,
            r=4.5,
            fill=CURRENT,
            stroke="#fff",
            stroke_width=1.5,
            class_="cpd-chart__point",
        )
        for x, cy in current
    )
    tick_lines = 1 + max((line for _, _, line in ticks), default=0)
    panel = _el("g", *parts, class_="cpd-chart__panel", data_strand=strand_id)
    return panel, bottom + 6 + tick_lines * (SMALL + 4) + 16


def _assessed(framework: Framework, assessments: Sequence[Levels]) -> list[str]:
    """The strands assessed anywhere, in framework order; unknown ids are a caller's bug."""
    for levels in assessments:
        for strand_id, pair in levels.items():
            if not framework.has_strand(strand_id):
                raise ValueError(f"{framework.id} has no strand {strand_id!r}")
            for level_id in pair:
                if level_id is not None and not framework.has_level(level_id):
                    raise ValueError(f"{framework.id} has no level {level_id!r}")
    return [s.id for s in framework.strands if any(s.id in levels for levels in assessments)]


def _gap_summary(framework: Framework, levels: Levels, strands: list[str]) -> str:
    if not strands:
        return "No strands assessed."
    below: list[str] = []
    met: list[str] = []
    untargeted: list[str] = []
    for strand_id in strands:
        current, target = levels[strand_id]
        about = f"{_strand_label(framework, strand_id)} ({framework.level_label(current)}"
        if target is None:
            untargeted.append(about + ")")
        else:
            about += f", target {framework.level_label(target)})"
            gap = framework.rank(current) < framework.rank(target)
            (below if gap else met).append(about)
    sentences = [f"{len(below)} of {_count(len(strands), 'strand')} below target"]
    if below:
        sentences[0] += ": " + "; ".join(below)
    if met:
        sentences.append("Target met: " + "; ".join(met))
    if untargeted:
        sentences.append("No target set: " + "; ".join(untargeted))
    return ". ".join(sentences) + "."


def _progress_summary(framework: Framework, history: History, strands: list[str]) -> str:
    """Counts strands whose level rose or fell between their first and last assessment."""
    if not strands:
        return "No strands assessed."
    if len(history) == 1:
        when, levels = history[0]
        details = (
            f"{_strand_label(framework, s)}: {_level_and_target(framework, *levels[s])}"
            for s in strands
        )
        return f"One assessment, on {_date(when)}: " + "; ".join(details) + "."
    improved = declined = unchanged = once = 0
    lines = []
    for s in strands:
        seen = [levels[s] for _, levels in history if s in levels]
        (first, _), (last, target) = seen[0], seen[-1]
        now = _level_and_target(framework, last, target)
        change = framework.rank(last) - framework.rank(first)
        if len(seen) == 1:
            once += 1
            lines.append(f"{_strand_label(framework, s)}: {now}, assessed once")
        elif change:
            improved, declined = improved + (change > 0), declined + (change < 0)
            lines.append(f"{_strand_label(framework, s)}: {framework.level_label(first)} to {now}")
        else:
            unchanged += 1
            lines.append(f"{_strand_label(framework, s)}: {now}, unchanged")
    counts = f"{_count(improved, 'strand')} improved, {declined} declined, {unchanged} unchanged"
    if once:
        counts += f", {once} assessed once"
    span = f"{len(history)} assessments, latest {_date(history[-1][0])}"
    return f"Since {_date(history[0][0])} ({span}): {counts}. " + "; ".join(lines) + "."


def _level_and_target(framework: Framework, current: str | None, target: str | None) -> str:
    goal = "no target" if target is None else f"target {framework.level_label(target)}"
    return f"{framework.level_label(current)} ({goal})"


def _status(framework: Framework, current: str | None, target: str | None, met: bool) -> str:
    """The row's levels in words, so the bar is readable without matching it to the axis."""
    now = framework.level_label(current)
    now = now[:1].upper() + now[1:]
    if target is None:
        return f"{now} · no target"
    goal = f"target {framework.level_label(target)}"
    return f"✓ {now} · {goal} met" if met else f"{now} · {goal}"


def _heading(framework: Framework, strand_id: str, y: float) -> tuple[list[str], float]:
    """A strand's title over at most two lines, in full in a tooltip; returns where it ends."""
    label = _strand_label(framework, strand_id)
    lines = textwrap.wrap(label, _chars(WIDTH - 2 * MARGIN - 8, FONT), max_lines=2, placeholder="…")
    parts = [_el("title", _text(label))]
    parts.extend(
        _el(
            "text",
            _text(line),
            x=MARGIN,
            y=y + FONT + i * FONT * 1.25,
            font_weight=600,
            class_="cpd-chart__label",
        )
        for i, line in enumerate(lines)
    )
    return parts, y + len(lines) * FONT * 1.25


def _target_marker(x: float, y: float, cls: str | None = None) -> str:
    """A tick through the track and a diamond, outlined white to stand apart from the bar."""
    return _el(
        "g",
        _el("line", x1=x, x2=x, y1=y - 14, y2=y + 14, stroke=TARGET, stroke_width=3),
        _el(
            "path",
            d=f"M{_num(x)} {_num(y - 8)}l8 8-8 8-8-8z",
            fill=TARGET,
            stroke="#fff",
            stroke_width=1.5,
        ),
        class_=cls,
    )


def _level_axis(framework: Framework, x0: float, step: float, y: float) -> tuple[str, int]:
    """Level labels right-aligned to their gridline, on alternate lines when crowded."""
    labels = list(map(framework.level_label, framework.level_ids))
    stagger = any(len(label) * SMALL * EM_PER_CHAR > step - 6 for label in labels)
    room = (2 if stagger else 1) * step - 6
    texts = (
        _small(
            _fit(label, room),
            x0 + (k + 1) * step - 3,
            y + SMALL + (SMALL + 4) * (stagger and (len(labels) - 1 - k) % 2),
            "cpd-chart__tick",
            text_anchor="end",
        )
        for k, label in enumerate(labels)
    )
    return _el("g", *texts, class_="cpd-chart__levels"), 2 if stagger else 1


def _legend(items: list[tuple[str, str]]) -> str:
    parts, x, mid = [], float(MARGIN), MARGIN + 9.0
    for kind, text in items:
        if kind in {"bar", "check"}:
            fill = CURRENT if kind == "bar" else MET
            parts.append(_el("rect", x=x, y=mid - 6, width=16, height=12, fill=fill))
        if kind == "check":
            parts.append(
                _el(
                    "path",
                    d=f"M{_num(x + 4)} {_num(mid)}l3 3 5-6",
                    fill="none",
                    stroke="#fff",
                    stroke_width=2,
                )
            )
        elif kind == "diamond":
            parts.append(_target_marker(x + 8, mid))
        elif kind in {"line", "dashed"}:
            parts.append(
                _el(
                    "line",
                    x1=x,
                    x2=x + 22,
                    y1=mid,
                    y2=mid,
                    stroke_width=3,
                    stroke=CURRENT if kind == "line" else TARGET,
                    stroke_dasharray="6 4" if kind == "dashed" else None,
                )
            )
        width = 22 if kind in {"line", "dashed"} else 16
        parts.append(_small(text, x + width + 5, mid, "cpd-chart__key", dy="0.35em"))
        x += width + 5 + len(text) * SMALL * EM_PER_CHAR + 14
    return _el("g", *parts, class_="cpd-chart__legend")


def _steps(points: Sequence[tuple[float, float | None]], reach: float, lone: bool) -> str:
    """A step path: a level holds until the next assessment and `reach` past the last, so the
    last value shows as a line, not just a corner; ``None`` breaks it. `lone` starts `reach`
    early too and draws single points (the target); otherwise they get only their dot."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if y is None:
            runs.append([])
        else:
            runs[-1].append((x, y))
    d = []
    for (x, y), *rest in filter(None, runs):
        if rest or lone:
            d.append(f"M{_num(x - reach)} {_num(y)}H{_num(x)}" if lone else f"M{_num(x)} {_num(y)}")
            d.extend(f"H{_num(x)}V{_num(y)}" for x, y in rest)
            d.append(f"h{_num(reach)}")
    return "".join(d)


def _date_ticks(labels: list[str], xs: list[float]) -> list[tuple[float, str, int]]:
    """Date labels with their line (0 or 1): all on one line if they fit, else on alternate
    lines, else every few on one line, always keeping the first and the last."""
    room = max(map(len, labels), default=0) * SMALL * EM_PER_CHAR + 6
    gap = xs[1] - xs[0] if len(xs) > 1 else room
    ticks = list(zip(xs, labels, strict=True))
    if 2 * gap >= room:
        return [(x, text, int(gap < room) * (i % 2)) for i, (x, text) in enumerate(ticks)]
    kept = [(x, text, 0) for x, text in ticks[:: math.ceil(room / gap)]]
    if kept[-1][0] != xs[-1]:
        if len(kept) > 1 and xs[-1] - kept[-1][0] < room:
            kept.pop()
        kept.append((xs[-1], labels[-1], 0))
    return kept


def _svg(chart_id: str, kind: str, title: str, desc: str, height: float, body: list[str]) -> Markup:
    if not _CHART_ID.match(chart_id):
        raise ValueError(f"chart_id must be a valid id (letter first), not {chart_id!r}")
    return Markup(
        _el(
            "svg",
            _el("title", _text(title), id=f"{chart_id}-title"),
            _el("desc", _text(desc), id=f"{chart_id}-desc"),
            *body,
            xmlns=SVG_NS,
            viewBox=f"0 0 {WIDTH} {_num(height)}",
            width="100%",
            preserveAspectRatio="xMidYMin meet",
            role="img",
            aria_labelledby=f"{chart_id}-title {chart_id}-desc",
            id=chart_id,
            class_=f"cpd-chart cpd-chart--{kind}",
            font_family="system-ui, sans-serif",
            font_size=FONT,
            fill=INK,
        )
    )


def _small(text: str, x: float, y: float, cls: str, **attrs: object) -> str:
    attrs.setdefault("fill", MUTED)
    return _el("text", _text(text), x=x, y=y, font_size=SMALL, class_=cls, **attrs)


def _strand_label(framework: Framework, strand_id: str) -> str:
    return f"{strand_id} {framework.strand(strand_id).title}"


def _date(when: datetime) -> str:
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _chars(width: float, size: float) -> int:
    return max(2, int(width / (size * EM_PER_CHAR)))


def _fit(text: str, width: float) -> str:
    """One small line at most `width` wide, cut with an ellipsis (the desc has it in full)."""
    limit = _chars(width, SMALL)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _text(value: str) -> str:
    return str(escape(value))


def _el(tag: str, *children: str, **attrs: object) -> str:
    """An element from safe children; attribute names map ``class_`` to ``class`` and ``_`` to
    ``-``; values are escaped and ``None`` leaves the attribute out."""
    head = [tag]
    for name, value in attrs.items():
        if value is not None:
            text = _num(value) if isinstance(value, float | int) else str(value)
            head.append(f'{name.rstrip("_").replace("_", "-")}="{escape(text)}"')
    opening = " ".join(head)
    return f"<{opening}>{''.join(children)}</{tag}>" if children else f"<{opening}/>"
