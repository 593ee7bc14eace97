"""The `cpdrec` command line, through its public entry points."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import catalogue
from service.cli import app
from tests.conftest import D2030, DATA, NAACE, PROFILE

FRAMEWORK_ARGS = ["--framework", str(D2030), "--framework", str(NAACE)]
STARTER_ARGS = ["recommend", *FRAMEWORK_ARGS, "--catalogue", str(catalogue.STARTER_CATALOGUE)]


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CPDREC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CPDREC_MODELS_DIR", str(tmp_path / "models"))
    return tmp_path / "data"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def write_lines(path: Path, *objects: object) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects))
    return path


def test_recommend_prints_one_line_per_profile_in_order(tmp_path: Path) -> None:
    met = {
        "id": "P02",
        "framework": "naace-srf-5a",
        "levels": {"5a-4": {"current": "2", "target": "2"}},
    }
    profiles = write_lines(tmp_path / "p.jsonl", PROFILE, met, {**PROFILE, "id": "P03"})
    code, out, _ = run(*STARTER_ARGS, "--profiles", str(profiles), "--limit", "3")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["profile"] for line in lines] == ["P01", "P02", "P03"]
    first = lines[0]["items"]
    assert len(first) == 3 and lines[1]["items"] == [] and lines[2]["items"] == first
    for item in first:
        assert {"activity", "score", "addresses", "why"} <= item.keys()
        assert item["addresses"][0]["framework"] == "d2030-commitment"
        assert item["addresses"][0]["strand"] in {"1.1", "1.3"}
    assert [i["score"] for i in first] == sorted((i["score"] for i in first), reverse=True)


def test_recommend_bad_profile_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    bad = {**PROFILE, "levels": {"1.1": {"current": "transforming", "target": "exploring"}}}
    profiles = write_lines(tmp_path / "p.jsonl", PROFILE, bad)
    code, out, err = run(*STARTER_ARGS, "--profiles", str(profiles))
    assert code == 2 and out == ""
    assert err.strip() == (
        f"error: {profiles}:2: levels.1.1.target: target 'exploring' is "
        "below current 'transforming'"
    )


def test_recommend_bad_catalogue_names_line_and_column(tmp_path: Path) -> None:
    cat = tmp_path / "c.csv"
    cat.write_text("id,title,description,format\nA1,T,D,online\nA2,T,D,webinar\n")
    profiles = write_lines(tmp_path / "p.jsonl", PROFILE)
    code, _, err = run(
        "recommend", *FRAMEWORK_ARGS, "--catalogue", str(cat), "--profiles", str(profiles)
    )
    assert code == 2
    assert err.startswith(f"error: {cat}:3:4: format: ")
    assert "Traceback" not in err


def cpdrec(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real entry point in a child process, as a user's shell would."""
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, check=False
    )


def test_missing_file_is_a_one_line_usage_error(tmp_path: Path) -> None:
    proc = cpdrec(
        "recommend",
        *FRAMEWORK_ARGS,
        "--catalogue",
        str(tmp_path / "nope.csv"),
        "--profiles",
        str(tmp_path / "nope.jsonl"),
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "does not exist" in proc.stderr
    assert proc.stderr.startswith("error: Invalid value for '--catalogue'")


def test_bad_limit_is_a_usage_error(tmp_path: Path) -> None:
    profiles = write_lines(tmp_path / "p.jsonl", PROFILE)
    proc = cpdrec(*STARTER_ARGS, "--profiles", str(profiles), "--limit", "0")
    assert proc.returncode == 2 and "--limit" in proc.stderr


def test_catalogue_tag_given_and_inferred(tmp_path: Path) -> None:
    cat = tmp_path / "c.csv"
    cat.write_text(
        catalogue.STARTER_CATALOGUE.read_text()
        + "NEW,Online safety training for all staff,\"Whole-staff training on the school's "
        "digital safeguarding strategy: recognising online risks to pupils, reporting "
        'concerns and safe use of new technologies.",online,2,0,,,\n'
        + "CAKE,Cake decorating,Piping buttercream roses and smoothing fondant.,"
        "face-to-face,3,40,,,\n"
    )
    code, out, _ = run("catalogue", "tag", *FRAMEWORK_ARGS, "--catalogue", str(cat))
    assert code == 0
    rows = {row["activity"]: row["tags"] for row in map(json.loads, out.splitlines())}
    assert rows["A001"] and all(
        t["inferred"] is False and t["confidence"] == 1.0 for t in rows["A001"]
    )
    assert rows["NEW"][0]["strand"] == "5a-4" and rows["NEW"][0]["inferred"] is True
    confidences = [t["confidence"] for t in rows["NEW"]]
    assert confidences == sorted(confidences, reverse=True)
    assert all(t["confidence"] < 0.5 for t in rows["CAKE"])


def test_import_export_round_trip(tmp_path: Path) -> None:
    code, out, _ = run("catalogue", "export", "--org", "shared")
    assert code == 0 and out.startswith("id,title,description,format")
    assert len(out.splitlines()) == 96
    assert run("catalogue", "export")[1].splitlines() == [out.splitlines()[0]]  # local is empty
    extra = tmp_path / "extra.json"
    extra.write_text(
        json.dumps([{"id": "Z1", "title": "New", "description": "Words", "format": "mentoring"}])
    )
    code, out, _ = run("catalogue", "import", str(extra))
    assert code == 0 and "1 new" in out
    code, out, _ = run("catalogue", "export", "--format", "json")
    assert any(a["id"] == "Z1" for a in json.loads(out))
    exported = tmp_path / "all.csv"
    assert run("catalogue", "export", "-o", str(exported))[0] == 0
    code, out, _ = run("catalogue", "import", str(exported))
    assert code == 0 and "0 new, 0 updated, 1 unchanged" in out
    code, out, _ = run("catalogue", "import", str(exported), "--org", "nowhere")
    assert code == 2 and "organisation 'nowhere' not found" in out + _


def test_invalid_import_changes_nothing(tmp_path: Path) -> None:
    before = run("catalogue", "export")[1]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title,description,format\nN1,T,D,online\nN2,T,D,carrier-pigeon\n")
    code, _, err = run("catalogue", "import", str(bad))
    assert code == 2 and f"{bad}:3:4: format" in err
    assert run("catalogue", "export")[1] == before


def test_import_dry_run_changes_nothing(tmp_path: Path) -> None:
    before = run("catalogue", "export")[1]
    good = tmp_path / "good.csv"
    good.write_text("id,title,description,format\nN1,T,D,online\n")
    code, out, _ = run("catalogue", "import", "--dry-run", str(good))
    assert code == 0 and "dry run" in out
    assert run("catalogue", "export")[1] == before


def test_frameworks_list() -> None:
    code, out, _ = run("frameworks", "list", "--json")
    assert code == 0
    listed = {row["id"]: row for row in map(json.loads, out.splitlines())}
    assert listed["naace-srf-5a"]["levels"] == ["4", "3", "2", "1"]
    code, out, _ = run("frameworks", "list")
    assert "d2030-commitment\tpractitioner\texploring < embedding < transforming" in out


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["recommend"],
        ["catalogue", "tag"],
        ["serve"],
        ["catalogue", "import"],
        ["frameworks", "list"],
    ],
)
def test_help_explains_each_command(command: list[str]) -> None:
    code, out, _ = run(*command, "--help")
    assert code == 0 and "Usage" in out and len(out.splitlines()) > 5


def test_entry_point_bad_json_exits_2_without_traceback(tmp_path: Path) -> None:
    profiles = tmp_path / "p.jsonl"
    profiles.write_text("{oops\n")
    proc = cpdrec(*STARTER_ARGS, "--profiles", str(profiles))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {profiles}:1:2: invalid JSON")
    assert "Traceback" not in proc.stderr


def test_entry_point_success_and_help() -> None:
    proc = cpdrec("frameworks", "list")
    assert proc.returncode == 0 and "naace-srf-5a" in proc.stdout
    assert cpdrec("--help").returncode == 0


def test_orgs_and_keys(tmp_path: Path) -> None:
    assert run("orgs", "create", "cardiff-college", "--name", "Cardiff College")[0] == 0
    code, _, err = run("orgs", "create", "cardiff-college")
    assert code == 2 and "already exists" in err
    code, _, err = run("orgs", "create", "Not Kebab")
    assert code == 2 and "kebab-case" in err
    assert "cardiff-college\tCardiff College\tuses shared catalogue" in run("orgs", "list")[1]
    code, key, err = run("keys", "create", "--org", "cardiff-college", "--scope", "recommend")
    assert code == 0 and key.startswith("cpd_") and "not shown again" in err
    code, _, err = run("keys", "create", "--org", "cardiff-college", "--scope", "root")
    assert code == 2 and "unknown scope 'root'" in err
    code, _, err = run("keys", "create", "--org", "nowhere", "--scope", "admin")
    assert code == 2 and "not found" in err
    listed = [json.loads(line) for line in run("keys", "list", "--json")[1].splitlines()]
    assert len(listed) == 1 and listed[0]["scopes"] == ["recommend"]
    assert key.strip() not in json.dumps(listed) and listed[0]["revoked_at"] is None
    assert run("keys", "revoke", listed[0]["id"])[0] == 0
    assert json.loads(run("keys", "list", "--json")[1])["revoked_at"] is not None
    assert run("keys", "revoke", "000000000000")[0] == 2


def test_frameworks_import_and_export(tmp_path: Path) -> None:
    case = DATA / "interchange" / "digital-safeguarding.case.json"
    code, out, err = run("frameworks", "import", str(case))
    assert code == 0, err
    framework_id = out.split("'")[1]
    assert framework_id in run("frameworks", "list")[1]
    code, _, err = run("frameworks", "import", str(case))
    assert code == 2 and "exists" in err
    exported = json.loads(run("frameworks", "export", framework_id, "--format", "case")[1])
    assert exported["CFDocument"]["title"]
    native = json.loads(run("frameworks", "export", "naace-srf-5a")[1])
    assert [lv["id"] for lv in native["levels"]] == ["4", "3", "2", "1"]
    bad = DATA / "interchange" / "case-syntax-error.json"
    code, _, err = run("frameworks", "import", str(bad))
    assert code == 2 and err.startswith(f"error: {bad}:") and len(err.splitlines()) >= 1


def test_db_upgrade_is_idempotent_and_refuses_a_pre_migration_database(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("db", "upgrade")[0] == 0
    assert "up to date" in run("db", "upgrade")[1]
    legacy = data_dir.parent / "legacy.db"
    with sqlite3.connect(legacy) as connection:
        connection.execute("CREATE TABLE activities (id TEXT PRIMARY KEY)")
    monkeypatch.setenv("CPDREC_DATABASE_URL", f"sqlite:///{legacy}")
    code, _, err = run("db", "upgrade")
    assert code == 2 and "before schema migrations" in err
