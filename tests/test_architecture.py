"""The core stays pure: nothing under recommender/ may import the service shell."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_recommender_imports_neither_service_nor_catalogue() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] in {"service", "catalogue"}
        )
        for path in (ROOT / "recommender").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_imports() -> None:
    assert "service.app" in imported_modules(ROOT / "service" / "cli" / "serve.py")
    assert "recommender.ranker" in imported_modules(ROOT / "recommender" / "persistence.py")
