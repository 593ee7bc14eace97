"""Quality instruments: the pure evaluation functions and `cpdrec evaluate` / `evaluate-tags`."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import BaseEstimator
from typer.testing import CliRunner

import catalogue
from recommender.activities import FORMATS, Activity, Tag
from recommender.cells import Cell
from recommender.comparison import PRODUCT, as_seen, compare, strip_tags, with_tags
from recommender.errors import InvalidInput
from recommender.evaluation import Report, Truth, evaluate, mean_report, read_judgements
from recommender.frameworks import Framework, by_id, load_frameworks
from recommender.profiles import GapProfile, read_profiles
from recommender.ranker import GapRanker, Recommendation
from recommender.tag_evaluation import Outcome, hold_out_runs, read_truth, summarise
from recommender.tagging import ScoredTag
from service.cli import app
from tests.conftest import D2030, DATA, NAACE, PROFILE, activity

EVAL = DATA / "eval"
FRAMEWORK_ARGS = ["--framework", str(D2030), "--framework", str(NAACE)]
STARTER = ["--catalogue", str(catalogue.STARTER_CATALOGUE)]


def write_lines(path: Path, *objects: object) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects))
    return path


class FixedLists:
    """A ranker stub returning given lists, to check the metrics by hand."""

    def __init__(self, lists: dict[str, list[str]]) -> None:
        self.lists = lists

    def rank_many(
        self, profiles: Iterable[GapProfile], limit: int = 5
    ) -> Iterator[list[Recommendation]]:
        for p in profiles:
            yield [
                Recommendation(a, 1.0, 1.0, (), "", False)
                for a in self.lists.get(p.id or "", [])[:limit]
            ]


# Gaps on 1.1 (exploring -> embedding) and 1.3 (not started -> exploring); free only.
GAP = GapProfile.model_validate(
    {
        "id": "G",
        "framework": "d2030-commitment",
        "levels": {
            "1.1": {"current": "exploring", "target": "embedding"},
            "1.3": {"current": None, "target": "exploring"},
        },
        "constraints": {"max_cost": 0},
    }
)
NO_GAP = GapProfile.model_validate({"id": "N", "framework": "d2030-commitment"})
CATALOGUE = [
    activity("a", "d2030-commitment:1.1:embedding"),
    activity("d", "d2030-commitment:1.1:embedding"),
    activity("b", "d2030-commitment:1.3:exploring", cost=50.0),  # the only 1.3 one, not free
    activity("c", "naace-srf-5a:5a-1:3"),  # another framework: a distractor here
    activity("e"),
]


def test_list_metrics_by_hand(frameworks: list[Framework]) -> None:
    ranker = FixedLists({"G": ["a", "d", "b", "c"]})
    truth = Truth.of(frameworks, CATALOGUE)
    report = evaluate(ranker, [GAP, NO_GAP], {"G": {"a": 3, "d": 2}}, k=4, truth=truth)
    assert report.per_profile == {"G": 1.0, "N": 1.0}  # ideal order; nothing for no gap
    assert report.by_framework == {"d2030-commitment": 1.0}
    assert report.precision == 0.5  # only G has relevant items: 2 of 4
    assert report.constraint_violations == 1  # b costs 50
    assert report.distractor_rate == 0.25  # c, of 4 returned
    assert report.gap_coverage == 1.0  # 1.3 cannot be addressed for free, so only 1.1 counts
    assert report.diversity == pytest.approx(5 / 6)  # only a-d share their strand set
    assert report.catalogue_coverage == 0.8  # e was never shown
    assert report.mean_returned == 2.0
    without = evaluate(ranker, [GAP, NO_GAP], {"G": {"a": 3, "d": 2}}, k=4)
    assert without.ndcg == report.ndcg and without.gap_coverage is None
    with pytest.raises(ValueError, match="not in the catalogue"):
        evaluate(FixedLists({"G": ["zz"]}), [GAP], {}, truth=truth)


@given(
    constraints=st.fixed_dictionaries(
        {},
        optional={
            "formats": st.lists(st.sampled_from(FORMATS), unique=True),
            "max_duration_hours": st.floats(0, 50),
            "max_cost": st.floats(0, 500),
        },
    )
)
def test_the_product_never_violates_by_the_independent_audit(
    constraints: dict[str, object],
    ranker: GapRanker,
    frameworks: list[Framework],
    activities: list[Activity],
) -> None:
    """The audit restates the rule; the ranker (with its own fast filter) must pass it."""
    profile = GapProfile.model_validate({**PROFILE, "id": "P", "constraints": constraints})
    report = evaluate(ranker, [profile], {}, k=50, truth=Truth.of(frameworks, activities))
    assert report.constraint_violations == 0


def test_gap_coverage_counts_only_levels_within_the_gap(frameworks: list[Framework]) -> None:
    reached = [activity("r", "d2030-commitment:1.1:exploring"), *CATALOGUE]
    report = evaluate(FixedLists({"G": ["r"]}), [GAP], {}, truth=Truth.of(frameworks, reached))
    assert report.gap_coverage == 0.0


def test_mean_report_averages_runs() -> None:
    runs = [
        Report(5, 0.5, 0.2, {"P": 0.5}, 1.0, 0, 0.1, 0.3, 0.4, 5.0),
        Report(5, 0.7, 0.4, {"P": 0.7}, 0.5, 2, 0.3, 0.5, 0.6, 3.0),
    ]
    mean = mean_report(runs)
    assert mean.ndcg == pytest.approx(0.6) and mean.per_profile == {"P": pytest.approx(0.6)}
    assert mean.constraint_violations == 2 and mean.gap_coverage == 0.75
    assert mean.extra == {"runs": 2, "ndcg_min": 0.5, "ndcg_max": 0.7}
    assert mean.by_framework == {}
    assert mean_report(runs[:1]) == runs[0]


def test_read_judgements_locates_problems(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text(
        '{"profile": "P", "activity": "A001", "grade": 3}\n'
        "\n"
        '{"profile": "P", "activity": "A001", "grade": 4}\n'
        '{"profile": "P", "grade": 1}\n'
        '{"profile": "Q", "activity": "nope", "grade": 1}\n'
        "{oops\n"
    )
    with pytest.raises(InvalidInput) as caught:
        read_judgements(path, {"A001"}, {"P"})
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3: bad judgement: grade must lie in 0..3",
        f"{path}:4: bad judgement: missing key 'activity'",
        f"{path}:6:2: invalid JSON: Expecting property name enclosed in double quotes",
    ]
    path.write_text('{"profile": "P", "activity": "A1", "grade": 2}\n')
    assert read_judgements(path) == {"P": {"A1": 2.0}}
    with pytest.raises(InvalidInput, match="'A1' is not in the catalogue"):
        read_judgements(path, {"A2"})


def test_strip_tags_removes_a_seeded_share(activities: list[Activity]) -> None:
    assert strip_tags(activities, 0.0) == activities
    assert not any(a.tags for a in strip_tags(activities, 1.0))
    half = strip_tags(activities, 0.5, seed=3)
    assert sum(not a.tags for a in half) == round(0.5 * len(activities))
    assert half == strip_tags(activities, 0.5, seed=3) != strip_tags(activities, 0.5, seed=4)
    with pytest.raises(ValueError):
        strip_tags(activities, 1.5)


def test_with_tags_replaces_only_listed_activities() -> None:
    replaced = with_tags(CATALOGUE, {"e": {("d2030-commitment", "1.2", "embedding")}, "a": set()})
    by_id = {a.id: a for a in replaced}
    assert by_id["e"].tags == (Tag.parse("d2030-commitment:1.2:embedding"),)
    assert by_id["a"].tags == () and by_id["d"] == CATALOGUE[1]


EvalSet = tuple[list[Framework], list[Activity], list[GapProfile], dict[str, frozenset[Cell]]]


@pytest.fixture(scope="module")
def eval_set() -> EvalSet:
    """The labelled set in tests/data/eval with every framework and catalogue it uses."""
    from service.cli.evaluate import load_catalogues

    frameworks = load_frameworks([D2030, NAACE, *sorted((EVAL / "frameworks").glob("*.json"))])
    files = [catalogue.STARTER_CATALOGUE, *sorted(EVAL.glob("*activities.csv"))]
    activities = load_catalogues(files, by_id(frameworks))
    profiles = list(read_profiles(EVAL / "profiles.jsonl", by_id(frameworks)))
    truth = read_truth(EVAL / "truth.jsonl", by_id(frameworks))
    return frameworks, activities, profiles, truth


def test_compare_puts_the_ranker_beside_every_baseline(
    eval_set: EvalSet,
) -> None:
    frameworks, activities, profiles, truth = eval_set
    ids = {p.id for p in profiles if p.id}
    judgements = read_judgements(EVAL / "judgements.jsonl", {a.id for a in activities}, ids)
    reports = compare(
        frameworks,
        activities,
        profiles,
        judgements,
        with_baselines=True,
        make=GapRanker,  # no tag inference, to stay fast
        truth=truth,
    )
    assert list(reports) == [PRODUCT, "random", "popularity", "strand-match", "tfidf", "bm25"]
    assert all(r.constraint_violations == 0 for r in reports.values())
    product = reports[PRODUCT]
    assert all(product.ndcg > r.ndcg for name, r in reports.items() if name != PRODUCT)
    assert product.distractor_rate is not None and product.distractor_rate < 0.1
    assert reports["random"].catalogue_coverage > reports["popularity"].catalogue_coverage  # type: ignore[operator]


def test_as_seen_gives_baselines_the_rankers_tags(
    ranker: GapRanker, activities: list[Activity]
) -> None:
    seen = as_seen(ranker, activities)
    assert [a.tags for a in seen] == [a.tags for a in activities]  # all given in the starter


class _EchoTagger(BaseEstimator):  # type: ignore[misc]
    """Says `guess` at 0.8 for everything; 1.0 for any activity it saw tagged in training."""

    def __init__(self, *, guess: str = "d2030-commitment:1.3:exploring") -> None:
        self.guess = guess

    def fit(self, frameworks: Sequence[Framework], activities: Sequence[Activity]) -> _EchoTagger:
        self.trained_on_ = {a.id for a in activities if a.tags}
        return self

    def predict(self, activities: Sequence[Activity]) -> list[list[ScoredTag]]:
        return [
            [ScoredTag(Tag.parse(self.guess), 1.0 if a.id in self.trained_on_ else 0.8)]
            for a in activities
        ]


def test_hold_out_runs_and_summary_by_hand(frameworks: list[Framework]) -> None:
    tagged = [activity(f"t{i}", "d2030-commitment:1.3:exploring") for i in range(4)]
    extra = [activity("x", "naace-srf-5a:5a-1:3"), activity("z")]  # truth overrides x's tags
    truth = {"x": frozenset({("d2030-commitment", "1.3", "embedding")}), "z": frozenset()}
    outcomes = hold_out_runs(
        frameworks, tagged + extra, truth, hold_out=0.5, seeds=2, tagger=_EchoTagger()
    )
    assert [(o.seed, o.source) for o in outcomes].count((0, "held-out")) == 2
    assert {o.activity for o in outcomes if o.source == "truth"} == {"x", "z"}
    assert all(t.confidence == 0.8 for o in outcomes for t in o.predicted)  # nothing leaked
    s = summarise(outcomes)
    assert (s.activities, s.distractors, s.tags) == (6, 2, 8)
    assert s.strand_at_1 == 1.0 and s.cell_at_1 == pytest.approx(4 / 6)
    assert s.accepted == 1.0 and s.accepted_precision == pytest.approx(4 / 6)
    assert s.distractor_rate == 1.0
    [only] = s.reliability
    assert (only.count, only.accuracy) == (8, 0.5)
    assert s.ece == pytest.approx(0.3) and s.brier == pytest.approx((4 * 0.04 + 4 * 0.64) / 8)
    with pytest.raises(ValueError, match="not in the catalogue"):
        hold_out_runs(frameworks, tagged, {"nope": frozenset()}, tagger=_EchoTagger())


def test_read_truth_locates_problems(tmp_path: Path, framework_map: dict[str, Framework]) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"activity": "A001", "tags": ["d2030-commitment:1.1:exploring"]}\n'
        '{"activity": "A002", "tags": []}\n'
        '{"activity": "A003", "tags": ["d2030-commitment:9.9:exploring"]}\n'
        '{"activity": "A002", "tags": "d2030-commitment:1.1:exploring"}\n'
        '{"activity": "A001", "tags": []}\n'
        '{"activity": "Z9", "tags": []}\n'
    )
    with pytest.raises(InvalidInput) as caught:
        read_truth(path, framework_map, {"A001", "A002", "A003"})
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3: tags: unknown strand '9.9' in framework 'd2030-commitment'",
        f"{path}:4: tags must be a list of 'framework:strand:level' strings",
        f"{path}:5: activity: 'A001' is listed twice",
        f"{path}:6: activity: 'Z9' is not in the catalogue",
    ]


# --- the command line ---------------------------------------------------------------------

P01_GRADES = {
    **{a: 3 for a in ("A005", "A006", "A007", "A008", "A024", "A025", "A026", "A027")},
    **{a: 2 for a in ("A010", "A011", "A012", "A013", "A028", "A029", "A030")},
}


@pytest.fixture
def labelled(tmp_path: Path) -> list[str]:
    met = {
        "id": "P02",
        "framework": "naace-srf-5a",
        "levels": {"5a-4": {"current": "2", "target": "2"}},
    }
    profiles = write_lines(tmp_path / "p.jsonl", PROFILE, met)
    judgements = write_lines(
        tmp_path / "j.jsonl",
        *({"profile": "P01", "activity": a, "grade": g} for a, g in P01_GRADES.items()),
    )
    return ["--profiles", str(profiles), "--judgements", str(judgements)]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_evaluate_prints_a_table_with_baselines(labelled: list[str]) -> None:
    code, out, err = run("evaluate", *FRAMEWORK_ARGS, *STARTER, *labelled, "--baselines")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("2 profiles, 15 judgements, 95 activities")
    assert lines[1].split()[:3] == ["ranker", "nDCG@5", "P@5"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:8]}
    assert list(rows) == [PRODUCT, "random", "popularity", "strand-match", "tfidf", "bm25"]
    assert all(len(cells) == 8 for cells in rows.values())
    assert rows[PRODUCT][3] == "0"  # no constraint violation
    assert lines[8] == ""
    assert lines[9].split() == ["nDCG@5", "by", "framework", "d2030-commitment", "naace-srf-5a"]
    assert lines[10].split()[0] == PRODUCT and len(lines) == 16


def test_evaluate_json_and_strip_tags(labelled: list[str]) -> None:
    args = ["evaluate", *FRAMEWORK_ARGS, *STARTER, *labelled, "--baselines", "--json", "--k", "3"]
    code, out, err = run(*args)
    assert code == 0, err
    tagged = json.loads(out)
    assert tagged["k"] == 3 and tagged["strip_share"] == 0.0 and tagged["profiles"] == 2
    product = tagged["rankers"][PRODUCT]
    assert set(product["per_profile"]) == {"P01", "P02"}
    assert product["gap_coverage"] == 1.0 and product["mean_returned"] == 1.5
    code, out, err = run(*args, "--strip-tags")
    assert code == 0, err
    stripped = json.loads(out)
    assert stripped["strip_share"] == 1.0
    # Text search never sees tags, and list metrics keep checking against the original ones.
    assert stripped["rankers"]["tfidf"] == tagged["rankers"]["tfidf"]
    assert set(stripped["rankers"][PRODUCT]["per_profile"]) == {"P01", "P02"}


def test_evaluate_rejects_strip_tags_with_another_share(labelled: list[str]) -> None:
    code, out, err = run(
        "evaluate", *FRAMEWORK_ARGS, *STARTER, *labelled, "--strip-tags", "--strip-share", "0.5"
    )
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("error: ")


def test_evaluate_bad_judgement_names_file_line_and_column(
    tmp_path: Path, labelled: list[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"profile": "P01", "activity": "A005", "grade": 3}\n{"profile": P01}\n')
    args = [*labelled[:2], "--judgements", str(bad)]
    code, out, err = run("evaluate", *FRAMEWORK_ARGS, *STARTER, *args)
    assert code == 2 and out == ""
    assert err == f"error: {bad}:2:13: invalid JSON: Expecting value\n"


def test_evaluate_bad_catalogue_and_duplicates_across_catalogues(
    tmp_path: Path, labelled: list[str]
) -> None:
    cat = tmp_path / "c.csv"
    cat.write_text("id,title,description,format\nA1,T,D,online\nA2,T,D,webinar\n")
    code, _, err = run("evaluate", *FRAMEWORK_ARGS, "--catalogue", str(cat), *labelled)
    assert code == 2 and err.startswith(f"error: {cat}:3:4: format: ") and err.count("\n") == 1
    twice = tmp_path / "twice.csv"
    twice.write_text("id,title,description,format\nA001,T,D,online\n")
    code, _, err = run("evaluate", *FRAMEWORK_ARGS, *STARTER, "--catalogue", str(twice), *labelled)
    assert code == 2
    assert (
        err == f"error: {twice}: id: duplicate id 'A001' (also in {catalogue.STARTER_CATALOGUE})\n"
    )


def test_evaluate_tags_reports_accuracy_and_calibration(tmp_path: Path) -> None:
    extra = tmp_path / "extra.csv"
    extra.write_text(
        "id,title,description,format\n"
        'X1,Keeping learner data safe,"Where learner records live, who can see them, and how '
        'to store and share them safely under data protection law.",online\n'
        "X2,Forklift refresher,Warehouse forklift driving and pallet safety.,face-to-face\n"
    )
    truth = write_lines(
        tmp_path / "truth.jsonl",
        {"activity": "X1", "tags": ["d2030-commitment:1.3:exploring"]},
        {"activity": "X2", "tags": []},
    )
    args = ["evaluate-tags", *FRAMEWORK_ARGS, *STARTER, "--catalogue", str(extra)]
    args += ["--truth", str(truth), "--seeds", "1", "--hold-out", "0.9"]
    code, out, err = run(*args, "--json")
    assert code == 0, err
    report = json.loads(out)
    groups = report["groups"]
    assert {"all", "held-out", "truth", "d2030-commitment", "naace-srf-5a"} <= set(groups)
    assert groups["truth"]["activities"] == 1 and groups["truth"]["distractors"] == 1
    assert groups["held-out"]["activities"] == round(0.9 * 95)
    overall = groups["all"]
    assert sum(b["count"] for b in overall["reliability"]) == overall["tags"] > 0
    for name in ("strand_at_1", "cell_at_1", "ece", "brier"):
        assert 0.0 <= overall[name] <= 1.0
    assert overall["cell_at_1"] <= overall["strand_at_1"]
    assert [s["seed"] for s in report["per_seed"]] == [0]


def test_evaluate_tags_bad_truth_exits_2(tmp_path: Path) -> None:
    truth = write_lines(tmp_path / "truth.jsonl", {"activity": "Z9", "tags": []})
    code, out, err = run("evaluate-tags", *FRAMEWORK_ARGS, *STARTER, "--truth", str(truth))
    assert code == 2 and out == ""
    assert err == f"error: {truth}:1: activity: 'Z9' is not in the catalogue\n"


def test_evaluate_tags_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The table layout, with a stub tagger so that no real tagger is fitted."""
    command = importlib.import_module("service.cli.evaluate")  # the name is also a function

    def echo_runs(*args: object, **kwargs: object) -> list[Outcome]:
        return hold_out_runs(*args, **{**kwargs, "tagger": _EchoTagger()})  # type: ignore[arg-type]

    monkeypatch.setattr(command, "hold_out_runs", echo_runs)
    code, out, err = run("evaluate-tags", *FRAMEWORK_ARGS, *STARTER, "--seeds", "2")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "2 runs, 50% of the tagged activities held out in each"
    assert lines[1].split()[:4] == ["group", "activities", "strand@1", "cell@1"]
    assert [line.split()[0] for line in lines[2:6]] == [
        "all",
        "held-out",
        "d2030-commitment",
        "naace-srf-5a",
    ]
    assert any(line.startswith("calibration of all 96 emitted tags: ECE ") for line in lines)
    assert lines[-2].split() == ["confidence", "tags", "mean", "confidence", "right"]
    assert lines[-1].split()[:2] == ["0.8-0.9", "96"]
