"""The package's shape, as docs/architecture.md describes it: imports run one way between its
parts, the root stays small, and modules and functions stay readable."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "cluster_utils"

#: each part and the parts it may import (docs/architecture.md)
ALLOWED: dict[str, set[str]] = {
    "cli": {
        "grid",
        "hpo",
        "report",
        "results",
        "execution",
        "experiment",
        "runner",
        "backends",
        "config",
        "optimization",
        "client",
        "base",
        "scripts",
    },
    "grid": {
        "report",
        "results",
        "execution",
        "experiment",
        "runner",
        "backends",
        "config",
        "base",
    },
    "hpo": {
        "report",
        "results",
        "execution",
        "experiment",
        "runner",
        "optimization",
        "backends",
        "config",
        "base",
    },
    "scripts": {"report", "experiment", "base"},
    "report": {"experiment", "base"},
    "results": {"experiment", "base"},
    "execution": {"runner", "experiment", "backends", "config", "base"},
    "runner": {"experiment", "backends", "base"},
    "scheduler": {"experiment", "base"},
    "experiment": {"config", "base"},
    "backends": {"base"},
    "config": {"base"},
    "optimization": {"base"},
    "client": {"base"},
    "base": set(),
}
ROOT_MODULES = {"__init__", "_version", "grid_search", "hp_optimization"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_workflow" not in p.parts)


def _part(path: Path) -> str:
    relative = path.relative_to(PACKAGE).parts
    return relative[0] if len(relative) > 1 else path.stem


def _imported_parts(path: Path) -> set[str]:
    parts = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            pieces = name.split(".")
            if pieces[0] == "cluster_utils" and len(pieces) > 1:
                parts.add(pieces[1])
    return parts


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(path: Path) -> None:
    part = _part(path)
    if part in ROOT_MODULES:
        return
    assert part in ALLOWED, f"{part} is not a documented part (docs/architecture.md)"
    forbidden = _imported_parts(path) - ALLOWED[part] - {part} - {"_version"}
    assert not forbidden, f"{path.relative_to(PACKAGE)} imports {sorted(forbidden)}"


def test_at_most_six_modules_at_the_package_root() -> None:
    root = {p.stem for p in PACKAGE.glob("*.py")}
    assert root == ROOT_MODULES


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_and_functions_fit_on_a_screen(path: Path) -> None:
    source = path.read_text()
    assert len(source.splitlines()) <= 400
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            assert length <= 80, f"{node.name} has {length} lines"
