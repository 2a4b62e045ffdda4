"""The runner stays readable: every function of cluster_utils/runner/ is a short, named step."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cluster_utils.runner

RUNNER_DIR = Path(cluster_utils.runner.__file__).parent
MAX_FUNCTION_LINES = 60


def _functions(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        (node.name, (node.end_lineno or node.lineno) - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


@pytest.mark.parametrize("path", sorted(RUNNER_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_runner_function_is_longer_than_a_screen(path: Path) -> None:
    too_long = [(name, n) for name, n in _functions(path) if n > MAX_FUNCTION_LINES]
    assert not too_long, f"{path.name}: split these into steps: {too_long}"
