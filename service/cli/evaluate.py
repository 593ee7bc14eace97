"""`cpdrec evaluate` and `cpdrec evaluate-tags`: measured ranking and tag-inference quality."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated

import typer

from recommender.activities import Activity, load_catalogue
from recommender.comparison import compare
from recommender.errors import InvalidInput, Problem
from recommender.evaluation import Report, read_judgements
from recommender.frameworks import Framework, by_id, load_frameworks
from recommender.profiles import read_profiles
from recommender.tag_evaluation import TagSummary, hold_out_runs, read_truth, summarise
from service.cli.common import FrameworkFiles, emit, fail, user_errors
from service.cli.progress import bars

CatalogueFiles = Annotated[
    list[Path],
    typer.Option(
        "--catalogue",
        help="Catalogue file (CSV, or JSON by extension); repeat to concatenate several.",
        exists=True,
        dir_okay=False,
    ),
]
TruthFile = Annotated[
    Path | None,
    typer.Option(
        help='True tags, lines {"activity", "tags": ["fw:strand:level", ...]}; [] = distractor.',
        exists=True,
        dir_okay=False,
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")]


def evaluate(
    framework: FrameworkFiles,
    catalogue: CatalogueFiles,
    profiles: Annotated[
        Path,
        typer.Option(help="Gap profiles, one JSON object per line.", exists=True, dir_okay=False),
    ],
    judgements: Annotated[
        Path,
        typer.Option(
            help='Lines {"profile", "activity", "grade": 0-3}.', exists=True, dir_okay=False
        ),
    ],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="List length scored.")] = 5,
    strip_tags: Annotated[
        bool, typer.Option("--strip-tags", help="Remove every tag: rank on inferred tags.")
    ] = False,
    strip_share: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Remove the tags of this random share of activities."),
    ] = 0.0,
    seeds: Annotated[
        int, typer.Option(min=1, help="Random strippings to average (with --strip-share).")
    ] = 1,
    baselines: Annotated[
        bool, typer.Option("--baselines", help="Also score the baseline rankers.")
    ] = False,
    truth: TruthFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Score the ranker's top k for labelled profiles: nDCG, precision, gap and catalogue
    coverage, constraint violations, distractors, diversity; baselines side by side.

    List metrics check against the catalogue's original tags, also when tags are stripped, or
    against --truth for the activities it lists (e.g. untagged ones).
    """
    if strip_tags and strip_share not in (0.0, 1.0):
        raise fail("--strip-tags removes every tag; give it or --strip-share, not both")
    share = 1.0 if strip_tags else strip_share
    with user_errors():
        frameworks = load_frameworks(framework)
        activities = load_catalogues(catalogue, by_id(frameworks))
        parsed = list(read_profiles(profiles, by_id(frameworks)))
        ids = {p.id for p in parsed if p.id is not None}
        known = {a.id for a in activities}
        grades = read_judgements(judgements, known, ids)
        true_tags = read_truth(truth, by_id(frameworks), known) if truth is not None else {}
        unnamed = [i for i, p in enumerate(parsed, start=1) if p.id is None]
        if unnamed:
            message = f"profile {unnamed[0]} (in file order) has no id; evaluation needs one"
            raise InvalidInput.single("id", message, source=str(profiles))
    with bars() as progress:
        reports = compare(
            frameworks,
            activities,
            parsed,
            grades,
            k=k,
            strip_share=share,
            seeds=seeds,
            with_baselines=baselines,
            truth=true_tags,
            progress=progress.task(f"evaluating rankers on {len(parsed)} profiles").update,
        )
    runs = int(next(iter(reports.values())).extra.get("runs", 1))
    header = {
        "k": k,
        "profiles": len(parsed),
        "judgements": sum(len(g) for g in grades.values()),
        "activities": len(activities),
        "strip_share": share,
        "runs": runs,
    }
    if as_json:
        emit({**header, "rankers": {name: r.to_dict() for name, r in reports.items()}})
        return
    typer.echo(
        f"{len(parsed)} profiles, {header['judgements']} judgements, {len(activities)} "
        f"activities; tags stripped from {share:.0%} of them"
        + (f", mean of {runs} random strippings" if runs > 1 else "")
    )
    typer.echo(report_table(reports, k))
    typer.echo("")
    typer.echo(framework_table(reports, k))


def report_table(reports: Mapping[str, Report], k: int) -> str:
    """Rankers as rows, metrics as columns; '-' where a metric does not apply."""
    columns = [
        f"nDCG@{k}",
        f"P@{k}",
        f"gap cov@{k}",
        "violations",
        "distractors",
        "catalogue cov",
        "diversity",
        "items",
    ]
    ranged = any("ndcg_min" in r.extra for r in reports.values())
    if ranged:
        columns.insert(1, "nDCG range")
    rows = []
    for name, r in reports.items():
        cells = [
            _num(r.ndcg),
            _num(r.precision),
            _num(r.gap_coverage),
            "-" if r.constraint_violations is None else str(r.constraint_violations),
            _num(r.distractor_rate),
            _num(r.catalogue_coverage),
            _num(r.diversity),
            _num(r.mean_returned, 1),
        ]
        if ranged:
            cells.insert(1, f"{r.extra['ndcg_min']:.3f}-{r.extra['ndcg_max']:.3f}")
        rows.append([name, *cells])
    return _table(["ranker", *columns], rows)


def framework_table(reports: Mapping[str, Report], k: int) -> str:
    """nDCG@k per framework: rankers as rows, frameworks as columns."""
    names = list(next(iter(reports.values())).by_framework)
    rows = [[name, *(_num(r.by_framework.get(f)) for f in names)] for name, r in reports.items()]
    return _table([f"nDCG@{k} by framework", *names], rows)


def evaluate_tags(
    framework: FrameworkFiles,
    catalogue: CatalogueFiles,
    truth: TruthFile = None,
    hold_out: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of tagged activities held out.")
    ] = 0.5,
    seeds: Annotated[int, typer.Option(min=1, help="Random hold-outs (one tagger fit each).")] = 5,
    as_json: JsonFlag = False,
) -> None:
    """Hold back true tags, infer them from text, and score the guesses: strand@1, cell@1,
    distractors tagged at 0.5 or more, and the calibration of the confidences."""
    if hold_out <= 0:
        raise fail("--hold-out must be above 0")
    with user_errors():
        frameworks = load_frameworks(framework)
        activities = load_catalogues(catalogue, by_id(frameworks))
        known = {a.id for a in activities}
        true_tags = read_truth(truth, by_id(frameworks), known) if truth is not None else {}
    outcomes = hold_out_runs(frameworks, activities, true_tags, hold_out=hold_out, seeds=seeds)
    groups: dict[str, TagSummary] = {"all": summarise(outcomes)}
    for source in ("held-out", "truth"):
        chosen = [o for o in outcomes if o.source == source]
        if chosen:
            groups[source] = summarise(chosen)
    for f in frameworks:
        chosen = [o for o in outcomes if any(c[0] == f.id for c in o.truth)]
        if chosen:
            groups[f.id] = summarise(chosen)
    per_seed = [
        {"seed": seed, **_headline(summarise([o for o in outcomes if o.seed == seed]))}
        for seed in range(seeds)
    ]
    if as_json:
        emit(
            {
                "hold_out": hold_out,
                "seeds": seeds,
                "groups": {name: s.to_dict() for name, s in groups.items()},
                "per_seed": per_seed,
            }
        )
        return
    typer.echo(
        f"{seeds} runs, {hold_out:.0%} of the tagged activities held out in each"
        + (f", plus {len(true_tags)} activities of {truth}" if truth is not None else "")
    )
    typer.echo(tag_table(groups))
    typer.echo("")
    typer.echo(
        _table(
            ["seed", "strand@1", "cell@1", "distractors"],
            [
                [
                    str(s["seed"]),
                    _num(s["strand_at_1"]),
                    _num(s["cell_at_1"]),
                    _num(s["distractor_rate"]),
                ]
                for s in per_seed
            ],
        )
    )
    overall = groups["all"]
    typer.echo("")
    typer.echo(
        f"calibration of all {overall.tags} emitted tags: ECE {overall.ece:.3f}, "
        f"Brier {overall.brier:.3f}"
    )
    typer.echo(
        _table(
            ["confidence", "tags", "mean confidence", "right"],
            [
                [
                    f"{b.lower:.1f}-{b.upper:.1f}",
                    str(b.count),
                    _num(b.mean_confidence),
                    _num(b.accuracy),
                ]
                for b in overall.reliability
            ],
        )
    )


def tag_table(groups: Mapping[str, TagSummary]) -> str:
    """Groups as rows: accuracy on truly tagged activities, then on distractors, then ECE."""
    rows = [
        [
            name,
            str(s.activities),
            _num(s.strand_at_1),
            _num(s.cell_at_1),
            _num(s.accepted),
            _num(s.accepted_precision),
            str(s.distractors),
            _num(s.distractor_rate),
            _num(s.ece),
        ]
        for name, s in groups.items()
    ]
    columns = ["group", "activities", "strand@1", "cell@1", "any tag>=.5", "right>=.5"]
    return _table([*columns, "distractors", "distr. tag>=.5", "ECE"], rows)


def _headline(summary: TagSummary) -> dict[str, float | None]:
    return {
        "strand_at_1": summary.strand_at_1,
        "cell_at_1": summary.cell_at_1,
        "distractor_rate": summary.distractor_rate,
    }


def load_catalogues(paths: Sequence[Path], frameworks: Mapping[str, Framework]) -> list[Activity]:
    """Several catalogue files as one; an id in two files is an error naming the later one."""
    activities: list[Activity] = []
    seen: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            loaded = load_catalogue(path, frameworks)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        for activity in loaded:
            if activity.id in seen:
                message = f"duplicate id {activity.id!r} (also in {seen[activity.id]})"
                problems.append(Problem("id", message, str(path)))
            seen.setdefault(activity.id, path)
        activities.extend(loaded)
    if problems:
        raise InvalidInput(problems)
    return activities


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain columns: the first left-aligned, the others right-aligned, two spaces apart."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
