"""Shipped data: the source frameworks and the starter catalogue of CPD activities."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
FRAMEWORKS_DIR = HERE / "frameworks"
STARTER_CATALOGUE = HERE / "activities.csv"


def framework_files() -> list[Path]:
    return sorted(FRAMEWORKS_DIR.glob("*.json"))
