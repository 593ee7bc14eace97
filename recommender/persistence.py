"""Ranker artifacts: joblib files beside a JSON manifest, rebuilt whenever they are stale.

An artifact is named by the fingerprint of everything it was fitted on (frameworks, catalogue,
parameters), so a changed catalogue can never be served by an old model. The manifest also
records library versions: a pickle from another scikit-learn or numpy is rebuilt, not trusted.
Artifacts are only ever read from the models folder the caller names.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import joblib

from recommender.activities import Activity
from recommender.frameworks import Framework
from recommender.ranker import GapRanker

log = logging.getLogger(__name__)

FORMAT_VERSION = 6
"""2: CSC copies and id order; 3: inferred rows scaled by confidence; 4: layouts_;
5: strand_masks_; 6: item_rows_."""
KEEP_ARTIFACTS = 5


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "format": str(FORMAT_VERSION)}
    for name in ("cpdrec", "scikit-learn", "numpy", "scipy", "joblib"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def fingerprint(
    frameworks: Sequence[Framework], activities: Sequence[Activity], params: dict[str, Any]
) -> str:
    """SHA-256 over canonical JSON of the fit inputs and the ranker's parameters.

    Activities go in one line each as pydantic writes them (fields in declaration order,
    newlines escaped), three times faster than one `json.dumps` of everything: every start
    and every refit computes this.
    """
    digest = hashlib.sha256()
    for part in (
        [f.to_document() for f in frameworks],
        {k: repr(v) for k, v in sorted(params.items())},
    ):
        canonical = json.dumps(part, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest.update(canonical.encode("utf-8") + b"\0")
    for activity in activities:
        digest.update(activity.model_dump_json().encode("utf-8") + b"\n")
    return digest.hexdigest()


def load_or_fit(
    models_dir: Path | None,
    frameworks: Sequence[Framework],
    activities: Sequence[Activity],
    make_ranker: Callable[[], GapRanker],
) -> GapRanker:
    """Load the artifact fitted on exactly these inputs, or fit one and save it.

    With `models_dir` None (or unwritable) the ranker is fitted in memory only.
    """
    ranker = make_ranker()
    key = fingerprint(frameworks, activities, ranker.get_params(deep=True))
    if models_dir is not None:
        loaded = _load(models_dir, key)
        if loaded is not None:
            return loaded
    ranker.fit(frameworks, activities)
    if models_dir is not None:
        try:
            save(ranker, models_dir, key)
        except OSError as exc:
            log.warning("could not save ranker artifact in %s: %s", models_dir, exc)
    return ranker


def _paths(models_dir: Path, key: str) -> tuple[Path, Path]:
    stem = f"ranker-{key[:20]}"
    return models_dir / f"{stem}.joblib", models_dir / f"{stem}.json"


def _load(models_dir: Path, key: str) -> GapRanker | None:
    artifact, manifest_path = _paths(models_dir, key)
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("fingerprint") != key or manifest.get("versions") != library_versions():
        log.info("ranker artifact %s is stale; rebuilding", artifact.name)
        return None
    try:
        ranker = joblib.load(artifact)
    except Exception as exc:  # a corrupt or foreign pickle must mean "rebuild", never a crash
        log.warning("ranker artifact %s unreadable (%s); rebuilding", artifact.name, exc)
        return None
    return ranker if isinstance(ranker, GapRanker) else None


def save(ranker: GapRanker, models_dir: Path, key: str) -> Path:
    """Write atomically (temp file, then rename), manifest last, and prune old artifacts."""
    models_dir.mkdir(parents=True, exist_ok=True)
    artifact, manifest_path = _paths(models_dir, key)
    _atomic_write(artifact, lambda f: joblib.dump(ranker, f))
    manifest = {
        "fingerprint": key,
        "versions": library_versions(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_activities": int(ranker.items_.shape[0]),
        "n_cells": ranker.space_.n_cells,
    }
    text = json.dumps(manifest, indent=2).encode("utf-8")
    _atomic_write(manifest_path, lambda f: f.write(text))
    _prune(models_dir)
    return artifact


def _atomic_write(path: Path, write: Callable[[Any], object]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune(models_dir: Path) -> None:
    manifests = sorted(models_dir.glob("ranker-*.json"), key=lambda p: p.stat().st_mtime)
    for old in manifests[:-KEEP_ARTIFACTS]:
        old.with_suffix(".joblib").unlink(missing_ok=True)
        old.unlink(missing_ok=True)
