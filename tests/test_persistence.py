from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.activities import Activity
from recommender.frameworks import Framework
from recommender.persistence import fingerprint, load_or_fit
from recommender.ranker import GapRanker


class CountingRanker(GapRanker):
    fits = 0

    def fit(self, frameworks: object, activities: object) -> CountingRanker:  # type: ignore[override]
        CountingRanker.fits += 1
        super().fit(frameworks, activities)  # type: ignore[arg-type]
        return self


@pytest.fixture(autouse=True)
def reset_count() -> None:
    CountingRanker.fits = 0


def build(
    models: Path | None, frameworks: list[Framework], activities: list[Activity]
) -> GapRanker:
    return load_or_fit(models, frameworks, activities, CountingRanker)


def test_second_load_reuses_the_artifact(
    tmp_path: Path, frameworks: list[Framework], activities: list[Activity]
) -> None:
    first = build(tmp_path, frameworks, activities)
    second = build(tmp_path, frameworks, activities)
    assert CountingRanker.fits == 1
    assert second is not first
    assert len(list(tmp_path.glob("ranker-*.joblib"))) == 1
    manifest = json.loads(next(tmp_path.glob("ranker-*.json")).read_text())
    assert {"fingerprint", "versions", "created_at"} <= manifest.keys()
    assert manifest["versions"]["scikit-learn"]


def test_changed_catalogue_is_rebuilt(
    tmp_path: Path, frameworks: list[Framework], activities: list[Activity]
) -> None:
    build(tmp_path, frameworks, activities)
    build(tmp_path, frameworks, activities[:-1])
    assert CountingRanker.fits == 2


def test_stale_library_versions_are_rebuilt(
    tmp_path: Path, frameworks: list[Framework], activities: list[Activity]
) -> None:
    build(tmp_path, frameworks, activities)
    manifest_path = next(tmp_path.glob("ranker-*.json"))
    manifest = json.loads(manifest_path.read_text())
    manifest["versions"]["scikit-learn"] = "0.1"
    manifest_path.write_text(json.dumps(manifest))
    build(tmp_path, frameworks, activities)
    assert CountingRanker.fits == 2


def test_corrupt_artifact_is_rebuilt_not_a_crash(
    tmp_path: Path, frameworks: list[Framework], activities: list[Activity]
) -> None:
    build(tmp_path, frameworks, activities)
    next(tmp_path.glob("ranker-*.joblib")).write_bytes(b"not a pickle")
    ranker = build(tmp_path, frameworks, activities)
    assert CountingRanker.fits == 2
    assert ranker.items_.shape[0] == len(activities)


def test_unwritable_models_dir_still_gives_a_ranker(
    tmp_path: Path, frameworks: list[Framework], activities: list[Activity]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    ranker = build(blocker / "models", frameworks, activities)
    assert ranker.items_.shape[0] == len(activities)


def test_fingerprint_depends_on_params(
    frameworks: list[Framework], activities: list[Activity]
) -> None:
    a = fingerprint(frameworks, activities, GapRanker().get_params())
    b = fingerprint(frameworks, activities, GapRanker(diversity=0.1).get_params())
    assert a != b and a == fingerprint(frameworks, activities, GapRanker().get_params())


def test_fingerprint_depends_on_every_activity_and_framework(
    frameworks: list[Framework], activities: list[Activity]
) -> None:
    params = GapRanker().get_params()
    base = fingerprint(frameworks, activities, params)
    edited = [activities[0].model_copy(update={"description": "Changed."}), *activities[1:]]
    reordered = [*activities[1:], activities[0]]
    renamed = [frameworks[0].model_copy(update={"title": "Renamed"}), *frameworks[1:]]
    others = {
        fingerprint(frameworks, edited, params),
        fingerprint(frameworks, reordered, params),
        fingerprint(renamed, activities, params),
        fingerprint(frameworks, activities[:-1], params),
    }
    assert base not in others and len(others) == 4
