"""Progress bars: drawn on stderr when it is a terminal, and not a byte more when piped."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

import catalogue
from recommender.activities import load_catalogue
from recommender.comparison import compare
from recommender.evaluation import read_judgements
from recommender.frameworks import Framework, by_id
from recommender.profiles import read_profiles
from service.cli import app
from service.cli import catalogue as catalogue_cli
from tests.conftest import D2030, NAACE, PROFILE
from tests.test_architecture import ROOT, imported_modules

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

FRAMEWORK_ARGS = ["--framework", str(D2030), "--framework", str(NAACE)]
STARTER = ["--catalogue", str(catalogue.STARTER_CATALOGUE)]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite data folder and models folder, for this process and its children."""
    for name in [*os.environ]:
        if name.startswith("CPDREC_") or name in {"FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"}:
            monkeypatch.delenv(name)
    monkeypatch.setenv("CPDREC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CPDREC_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("TTY_INTERACTIVE", raising=False)
    return tmp_path


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    path = tmp_path / "profiles.jsonl"
    lines = [PROFILE, {**PROFILE, "id": "P02"}, {**PROFILE, "id": "P03", "priorities": {}}]
    path.write_text("".join(json.dumps(p) + "\n" for p in lines) + "\n")  # a blank line too
    return path


@pytest.fixture
def judgements(tmp_path: Path) -> Path:
    path = tmp_path / "judgements.jsonl"
    rows = [{"profile": "P01", "activity": "A005", "grade": 3}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def in_terminal(*args: str, stdout_too: bool = False) -> tuple[int, str, str]:
    """Run the real `cpdrec ARGS` with stderr (and, if asked, stdout) on a pseudo-terminal.

    Returns the exit code, stdout (when piped) and the terminal's text with the escape codes
    removed, so a test reads what a user would have seen drawn, frame after frame.
    """
    main, child = os.openpty()
    os.set_inheritable(child, False)
    env = {**os.environ, "COLUMNS": "160", "LINES": "40"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=child if stdout_too else subprocess.PIPE,
        stderr=child,
        env=env,
    )
    os.close(child)
    seen = bytearray()

    def drain() -> None:  # keep reading, or a chatty child blocks on a full terminal buffer
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        out, _ = proc.communicate(timeout=60)
        reader.join(timeout=10)
    finally:
        proc.kill()
        os.close(main)
    text = ANSI.sub("", seen.decode("utf-8", errors="replace")).replace("\r\n", "\n")
    return proc.returncode, (out or b"").decode("utf-8"), text


def piped(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def final_frame(text: str, description: str) -> str:
    """The last drawing of the bar line that starts with `description`."""
    frames = [part for line in text.split("\n") for part in line.split("\r")]
    drawn = [f for f in frames if f.startswith(description)]
    assert drawn, f"no bar {description!r} in {text!r}"
    return drawn[-1]


def test_import_draws_its_phases_on_a_terminal(data: Path) -> None:
    code, out, terminal = in_terminal("catalogue", "import", str(catalogue.STARTER_CATALOGUE))
    assert code == 0, terminal
    assert out.startswith(f"{catalogue.STARTER_CATALOGUE}: imported 95 activities")
    name = catalogue.STARTER_CATALOGUE.name
    assert "100%" in final_frame(terminal, f"reading {name}")
    assert re.search(r"100%\s+95/95", final_frame(terminal, "importing activities"))
    assert "100%" in final_frame(terminal, "writing")


def test_batch_recommend_counts_profiles_on_a_terminal_and_stdout_is_unchanged(
    data: Path, profiles: Path
) -> None:
    args = ["recommend", *FRAMEWORK_ARGS, *STARTER, "--profiles", str(profiles)]
    code, expected, err = piped(*args)
    assert code == 0 and err == ""
    code, out, terminal = in_terminal(*args)
    assert code == 0, terminal
    assert out == expected  # the bar went to stderr only
    assert "100%" in final_frame(terminal, "loading the ranker")
    assert re.search(r"100%\s+3/3", final_frame(terminal, "ranking profiles"))


def test_recommend_draws_no_bar_over_its_own_output(data: Path, profiles: Path) -> None:
    """With stdout on the terminal as well, the printed lines are the progress."""
    args = ["recommend", *FRAMEWORK_ARGS, *STARTER, "--profiles", str(profiles)]
    code, _, terminal = in_terminal(*args, stdout_too=True)
    assert code == 0, terminal
    lines = [json.loads(line) for line in terminal.splitlines() if line.strip()]
    assert [line["profile"] for line in lines] == ["P01", "P02", "P03"]


def test_evaluate_counts_rankers_on_a_terminal(
    data: Path, profiles: Path, judgements: Path
) -> None:
    args = [*FRAMEWORK_ARGS, *STARTER, "--profiles", str(profiles)]
    code, out, terminal = in_terminal(
        "evaluate", *args, "--judgements", str(judgements), "--baselines", "--json"
    )
    assert code == 0, terminal
    assert json.loads(out)["profiles"] == 3
    assert re.search(r"100%\s+6/6", final_frame(terminal, "evaluating rankers on 3 profiles"))


def test_piped_commands_print_nothing_extra_even_with_force_color(
    data: Path, profiles: Path, judgements: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FORCE_COLOR makes rich treat any stream as a terminal; CI sets it for coloured logs."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out, err = piped("catalogue", "import", str(catalogue.STARTER_CATALOGUE))
    assert code == 0 and err == "" and out.count("\n") == 1
    args = [*FRAMEWORK_ARGS, *STARTER, "--profiles", str(profiles)]
    code, out, err = piped("recommend", *args)
    assert code == 0 and err == "" and len(out.splitlines()) == 3
    code, out, err = piped("evaluate", *args, "--judgements", str(judgements), "--json")
    assert code == 0 and err == "" and json.loads(out)["profiles"] == 3
    code, out, err = piped("catalogue", "tag", *FRAMEWORK_ARGS, *STARTER)
    assert code == 0 and err == "" and len(out.splitlines()) == 95


def test_import_in_chunks_counts_as_one_import(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalogue_cli, "CHUNK", 10)
    code, out, _ = piped("catalogue", "import", str(catalogue.STARTER_CATALOGUE))
    assert code == 0 and "95 activities into 'local' (95 new, 0 updated, 0 unchanged)" in out
    with catalogue.STARTER_CATALOGUE.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    rows[50]["title"] += " (revised)"  # in the sixth chunk
    changed = tmp_path / "changed.csv"
    with changed.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, out, _ = piped("catalogue", "import", str(changed))
    assert code == 0 and "(0 new, 1 updated, 94 unchanged)" in out


def test_compare_reports_progress_from_zero_to_every_ranker(
    frameworks: list[Framework], profiles: Path, judgements: Path
) -> None:
    parsed = list(read_profiles(profiles, by_id(frameworks)))
    activities = load_catalogue(catalogue.STARTER_CATALOGUE, by_id(frameworks))
    grades = read_judgements(judgements, {a.id for a in activities}, {"P01", "P02", "P03"})
    calls: list[tuple[int, int]] = []
    compare(
        frameworks,
        activities,
        parsed,
        grades,
        strip_share=0.5,
        seeds=2,
        with_baselines=True,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(done, 12) for done in range(13)]


def test_the_core_draws_nothing() -> None:
    """Progress reaches recommender/ as plain callbacks; only the command line draws."""
    drawing = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "recommender").rglob("*.py")
        if any(m.split(".")[0] in {"rich", "typer", "click"} for m in imported_modules(path))
    }
    assert drawing == set()
