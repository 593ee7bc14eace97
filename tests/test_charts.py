"""The SVG charts: well-formed, labelled for screen readers, drawn to scale on any level order."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

import catalogue
from recommender.frameworks import Framework, load_framework, parse_framework
from service.web import charts
from service.web.charts import gap_chart, progress_chart

D2030 = load_framework(catalogue.FRAMEWORKS_DIR / "d2030-commitment.json")
NAACE = load_framework(catalogue.FRAMEWORKS_DIR / "naace-srf-5a.json")
FIVE = parse_framework(
    {
        "id": "five-levels",
        "title": "Made up",
        "subject": "practitioner",
        "levels": [
            {"id": level, "label": level.title()}
            for level in ("novice", "beginner", "competent", "proficient", "expert")
        ],
        "strands": [  # not in sorted order, so keeping the framework's order is tested
            {"id": strand_id, "title": title, "descriptors": {"novice": ["I try."]}}
            for strand_id, title in [
                ("s4", "Last"),
                ("s2", 'Use <b>&"tools"</b>'),
                ("s1", "Plain"),
                ("s3", " ".join(["A very long title"] * 8)),
            ]
        ],
    }
)
NS = {"svg": charts.SVG_NS}
Levels = Mapping[str, tuple[str | None, str | None]]


def parse(markup: Markup) -> ET.Element:
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{{{charts.SVG_NS}}}g") if cls in g.get("class", "").split()]


def rects(row: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in row.iter(f"{{{charts.SVG_NS}}}rect") if cls in r.get("class", "").split()]


def desc(root: ET.Element) -> str:
    return root.findtext("svg:desc", namespaces=NS) or ""


def geometry(row: ET.Element, framework: Framework) -> tuple[float, float | None]:
    """(bar width, target x) in level steps from zero, measured against the row's track."""
    (track,) = rects(row, "cpd-chart__track")
    (bar,) = rects(row, "cpd-chart__bar")
    x0, step = float(track.get("x", "")), float(track.get("width", "")) / len(framework.levels)
    assert float(bar.get("x", "")) == x0
    markers = groups(row, "cpd-chart__target")
    target = None
    if markers:
        (line,) = markers[0].iter(f"{{{charts.SVG_NS}}}line")
        target = (float(line.get("x1", "")) - x0) / step
    return float(bar.get("width", "")) / step, target


GAP_CASES = [
    (
        D2030,
        {
            "1.3": (None, "exploring"),
            "1.1": ("exploring", "embedding"),
            "1.2": ("transforming", "embedding"),
        },
    ),
    (NAACE, {"5a-4": ("1", None), "5a-1": ("4", "2"), "5a-3": ("2", "3")}),
    (FIVE, {"s4": ("expert", "expert"), "s1": ("beginner", "proficient"), "s3": (None, None)}),
]


@pytest.mark.parametrize(("framework", "levels"), GAP_CASES, ids=lambda v: getattr(v, "id", ""))
def test_gap_chart_draws_one_row_per_assessed_strand_to_scale(
    framework: Framework, levels: Levels
) -> None:
    root = parse(gap_chart(framework, levels, title="Gaps"))
    rows = groups(root, "cpd-chart__row")
    assert [r.get("data-strand") for r in rows] == [
        s.id for s in framework.strands if s.id in levels
    ]
    for row in rows:
        current, target = levels[row.get("data-strand", "")]
        width, target_x = geometry(row, framework)
        assert width == pytest.approx(framework.rank(current) + 1, abs=0.01)
        if target is None:
            assert target_x is None
        else:
            assert target_x == pytest.approx(framework.rank(target) + 1, abs=0.01)


def test_the_school_scale_runs_from_level_4_on_the_left() -> None:
    root = parse(gap_chart(NAACE, {"5a-1": ("4", "1")}, title="School"))
    (axis,) = groups(root, "cpd-chart__levels")
    ticks = sorted(axis, key=lambda t: float(t.get("x", "")))
    assert [t.text for t in ticks] == ["Level 4", "Level 3", "Level 2", "Level 1"]
    width, target = geometry(groups(root, "cpd-chart__row")[0], NAACE)
    assert (width, target) == pytest.approx((1, 4), abs=0.01)


def test_an_unstarted_strand_has_an_empty_bar_and_says_so() -> None:
    root = parse(gap_chart(D2030, {"1.3": (None, "embedding")}, title="Gaps"))
    width, target = geometry(groups(root, "cpd-chart__row")[0], D2030)
    assert width == 0 and target == pytest.approx(2, abs=0.01)
    assert "(not yet started, target Embedding)" in desc(root)
    status = root.find(".//svg:text[@class='cpd-chart__status']", NS)
    assert status is not None and status.text == "Not yet started · target Embedding"


def test_met_targets_look_met_beyond_colour() -> None:
    levels = {
        "1.1": ("embedding", "embedding"),
        "1.2": ("transforming", "embedding"),
        "1.3": ("exploring", "embedding"),
    }
    root = parse(gap_chart(D2030, levels, title="Gaps"))
    met = {}
    for row in groups(root, "cpd-chart__row"):
        (bar,) = rects(row, "cpd-chart__bar")
        status = row.find("svg:text[@class='cpd-chart__status']", NS)
        assert status is not None and status.text
        is_met = "cpd-chart__bar--met" in bar.get("class", "")
        assert (bar.get("fill") == charts.MET) is is_met
        assert status.text.startswith("✓") is is_met
        met[row.get("data-strand")] = is_met
    assert met == {"1.1": True, "1.2": True, "1.3": False}


def test_gap_summary_names_the_strands_below_target() -> None:
    levels = {
        "1.4": ("embedding", None),
        "1.2": ("embedding", "embedding"),
        "1.1": ("exploring", "transforming"),
        "1.3": (None, "exploring"),
    }
    assert desc(parse(gap_chart(D2030, levels, title="Gaps"))) == (
        "2 of 4 strands below target: 1.1 Enabling learners to learn (Exploring, target "
        "Transforming); 1.3 Looking after learners’ data (not yet started, target Exploring). "
        "Target met: 1.2 Managing and promoting positive behaviour in digital spaces (Embedding, "
        "target Embedding). No target set: 1.4 Protecting learners’ social, physical, and "
        "emotional wellbeing whilst using digital technologies (Embedding)."
    )


def test_text_is_escaped_and_long_titles_are_cut_with_the_full_text_in_a_tooltip() -> None:
    levels: Levels = {"s2": ("novice", "expert"), "s3": ("novice", "expert")}
    markup = gap_chart(FIVE, levels, title='Gaps <script>&"')
    assert "<b>" not in markup and "<script>" not in markup
    assert "&lt;b&gt;&amp;&#34;tools&#34;" in markup
    root = parse(markup)
    assert root.findtext("svg:title", namespaces=NS) == 'Gaps <script>&"'
    s2, s3 = groups(root, "cpd-chart__row")
    assert s2.findtext("svg:title", namespaces=NS) == 's2 Use <b>&"tools"</b>'
    assert 's2 Use <b>&"tools"</b> (Novice, target Expert)' in desc(root)
    lines = [t.text or "" for t in s3.findall("svg:text[@class='cpd-chart__label']", NS)]
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert s3.findtext("svg:title", namespaces=NS) == "s3 " + " ".join(["A very long title"] * 8)


@pytest.mark.parametrize("chart", ["gap", "progress"])
def test_the_root_is_an_image_labelled_by_its_own_title_and_desc(chart: str) -> None:
    when = datetime(2026, 3, 3)
    first = gap_chart(D2030, {"1.1": ("exploring", "embedding")}, title="One", chart_id="a")
    second = (
        gap_chart(D2030, {"1.1": ("exploring", "embedding")}, title="Two", chart_id="b")
        if chart == "gap"
        else progress_chart(
            D2030, [(when, {"1.1": ("exploring", None)})], title="Two", chart_id="b"
        )
    )
    page = ET.fromstring(f"<div>{first}{second}</div>")
    ids = [e.get("id") for e in page.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    root = page[1]
    assert (root.get("role"), root.get("width")) == ("img", "100%")
    assert root.get("viewBox", "").startswith("0 0 360 ")
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert root.find(f"svg:title[@id='{title_id}']", NS) is not None
    assert root.find(f"svg:desc[@id='{desc_id}']", NS) is not None
    assert root.findtext("svg:title", namespaces=NS) == "Two"
    assert f"cpd-chart--{chart}" in root.get("class", "").split()


def test_unknown_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="chart_id"):
        gap_chart(D2030, {}, title="x", chart_id="1 bad")
    with pytest.raises(ValueError, match="no strand"):
        gap_chart(D2030, {"9.9": ("exploring", None)}, title="x")
    with pytest.raises(ValueError, match="no level"):
        progress_chart(D2030, [(datetime(2026, 1, 1), {"1.1": ("expert", None)})], title="x")


def test_nothing_assessed_is_said_not_drawn() -> None:
    for markup in (gap_chart(D2030, {}, title="x"), progress_chart(D2030, [], title="x")):
        root = parse(markup)
        assert desc(root) == "No strands assessed."
        assert not groups(root, "cpd-chart__row") and not groups(root, "cpd-chart__panel")


def points(panel: ET.Element) -> list[tuple[float, float]]:
    return [
        (float(c.get("cx", "")), float(c.get("cy", "")))
        for c in panel.iter(f"{{{charts.SVG_NS}}}circle")
    ]


def level_ys(panel: ET.Element, framework: Framework) -> dict[str | None, float]:
    """The y of each level's gridline, found through its label, None being "Not started"."""
    ticks = {
        t.text: float(t.get("y", "")) for t in panel.findall("svg:text[@text-anchor='end']", NS)
    }
    return {None: ticks["Not started"]} | {
        level.id: ticks[level.label] for level in framework.levels
    }


def test_progress_with_one_assessment_is_a_point_per_strand() -> None:
    history = [(datetime(2026, 3, 3), {"5a-3": ("3", "1"), "5a-1": (None, None)})]
    root = parse(progress_chart(NAACE, history, title="Progress"))
    panels = groups(root, "cpd-chart__panel")
    assert [p.get("data-strand") for p in panels] == ["5a-1", "5a-3"]
    for panel, level in zip(panels, [None, "3"], strict=True):
        ((_, y),) = points(panel)
        assert y == level_ys(panel, NAACE)[level]
        assert panel.find("svg:path[@class='cpd-chart__line']", NS) is None
    ys = level_ys(panels[0], NAACE)
    assert ys[None] > ys["4"] > ys["3"] > ys["2"] > ys["1"]  # lowest at the bottom
    ((x, _),) = points(panels[1])
    target = panels[1].find("svg:path[@class='cpd-chart__target']", NS)
    y = level_ys(panels[1], NAACE)["1"]
    assert target is not None and target.get("d") == f"M{x - 20:g} {y:g}H{x:g}h20"
    assert panels[0].find("svg:path[@class='cpd-chart__target']", NS) is None
    assert desc(root) == (
        "One assessment, on 3 Mar 2026: 5a-1 Identifying professional development needs: "
        "not yet started (no target); 5a-3 Developing and sharing practices: Level 3 "
        "(target Level 1)."
    )
    dates = [t.text for t in panels[0].findall("svg:text[@text-anchor='middle']", NS)]
    assert dates == ["3 Mar 2026"]


def test_progress_over_several_assessments_counts_rises_and_falls() -> None:
    history: list[tuple[datetime, Levels]] = [  # deliberately out of date order
        (
            datetime(2026, 9, 1),
            {
                "1.1": ("transforming", "transforming"),
                "1.2": (None, "embedding"),
                "1.4": ("transforming", None),
            },
        ),
        (
            datetime(2026, 3, 3),
            {
                "1.1": ("exploring", "embedding"),
                "1.2": ("exploring", None),
                "1.3": ("embedding", "embedding"),
            },
        ),
        (
            datetime(2026, 5, 14),
            {
                "1.1": ("embedding", "transforming"),
                "1.3": ("embedding", None),
                "1.4": ("embedding", "transforming"),
            },
        ),
    ]
    root = parse(progress_chart(D2030, history, title="Progress"))
    panels = groups(root, "cpd-chart__panel")
    assert [p.get("data-strand") for p in panels] == ["1.1", "1.2", "1.3", "1.4"]
    ys = level_ys(panels[0], D2030)
    one = points(panels[0])
    assert [y for _, y in one] == [ys["exploring"], ys["embedding"], ys["transforming"]]
    assert [x for x, _ in one] == sorted(x for x, _ in one)
    assert [x for x, _ in points(panels[1])] == [one[0][0], one[2][0]]  # not assessed in May
    dates = [t.text for t in panels[0].findall("svg:text[@text-anchor='middle']", NS)]
    assert dates == ["3 Mar 2026", "14 May 2026", "1 Sep 2026"]
    assert desc(root) == (
        "Since 3 Mar 2026 (3 assessments, latest 1 Sep 2026): 2 strands improved, 1 declined, "
        "1 unchanged. 1.1 Enabling learners to learn: Exploring to Transforming (target "
        "Transforming); 1.2 Managing and promoting positive behaviour in digital spaces: "
        "Exploring to not yet started (target Embedding); 1.3 Looking after learners’ data: "
        "Embedding (no target), unchanged; 1.4 Protecting learners’ social, physical, and "
        "emotional wellbeing whilst using digital technologies: Embedding to Transforming "
        "(no target)."
    )


def test_a_strand_assessed_once_in_a_history_is_counted_apart() -> None:
    history = [
        (datetime(2026, 1, 5), {"1.1": ("exploring", None)}),
        (datetime(2026, 2, 5), {"1.1": ("exploring", None), "1.2": ("embedding", None)}),
    ]
    summary = desc(parse(progress_chart(D2030, history, title="Progress")))
    assert summary.startswith(
        "Since 5 Jan 2026 (2 assessments, latest 5 Feb 2026): 0 strands improved, 0 declined, "
        "1 unchanged, 1 assessed once. "
    )


def test_crowded_dates_keep_the_first_and_last_without_overlapping() -> None:
    history = [(datetime(2026, month, 28), {"1.1": ("exploring", None)}) for month in range(1, 13)]
    (panel,) = groups(parse(progress_chart(D2030, history, title="Progress")), "cpd-chart__panel")
    ticks = panel.findall("svg:text[@text-anchor='middle']", NS)
    assert len(points(panel)) == 12
    assert ticks[0].text == "28 Jan 2026" and ticks[-1].text == "28 Dec 2026"
    lines: dict[str, list[float]] = {}
    for tick in ticks:
        lines.setdefault(tick.get("y", ""), []).append(float(tick.get("x", "")))
    for xs in lines.values():
        assert all(b - a >= 11 * 13 * 0.55 for a, b in pairwise(xs))


def luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize(
    ("colour", "minimum"),
    [
        (charts.INK, 4.5),
        (charts.MUTED, 4.5),
        (charts.MET, 4.5),
        (charts.GRID, 3),
        (charts.CURRENT, 3),
        (charts.TARGET, 3),
    ],
)
def test_colours_meet_wcag_aa_on_white(colour: str, minimum: float) -> None:
    assert 1.05 / (luminance(colour) + 0.05) >= minimum


LEVEL = st.sampled_from([None, *FIVE.level_ids])


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from([s.id for s in FIVE.strands]), st.tuples(LEVEL, LEVEL)))
def test_any_assessment_draws_parseable_rows_to_scale(levels: Levels) -> None:
    root = parse(gap_chart(FIVE, levels, title="Any"))
    rows = groups(root, "cpd-chart__row")
    assert [r.get("data-strand") for r in rows] == [s.id for s in FIVE.strands if s.id in levels]
    for row in rows:
        width, _ = geometry(row, FIVE)
        assert width == pytest.approx(
            FIVE.rank(levels[row.get("data-strand", "")][0]) + 1, abs=0.01
        )
    below = sum(1 for c, t in levels.values() if t is not None and FIVE.rank(c) < FIVE.rank(t))
    assert desc(root).startswith(f"{below} of " if levels else "No strands")
