"""Who may import the HTCondor backend, and what it may import (see cluster_utils/backends).

- the backend (cluster_utils/backends/htcondor/) imports only the standard library and
  cluster_utils.base, at any level (the job runner loads it inside every job);
- no module of cluster_utils/backends/ imports a layer above (so no import leads back up);
- outside cluster_utils/backends/, the package, the executor plugins and the workflows reach the
  backend only through ``get_backend("htcondor")``.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

BACKENDS = REPO_ROOT / "cluster_utils" / "backends"
HTCONDOR_BACKEND = BACKENDS / "htcondor"
#: where code that must go through get_backend lives (tests of a backend may import it directly)
USERS = [
    REPO_ROOT / "cluster_utils",
    REPO_ROOT / "cluster",
    REPO_ROOT / "workflow",
    *sorted(REPO_ROOT.glob("snakemake_executor_plugin_*")),
    REPO_ROOT / "tests" / "htcondor" / "data",
]
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, module)`` of every import of a Python file (relative ones as ``.name``)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level:  # inside its own package
            yield node.lineno, "." * node.level + (node.module or "")
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)


def python_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def test_htcondor_backend_imports_only_stdlib_and_base() -> None:
    wrong = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {module}"
        for path in python_files(HTCONDOR_BACKEND)
        for line, module in imported_modules(path)
        if not (
            module.startswith(".")
            or module.split(".")[0] in sys.stdlib_module_names
            or module == "cluster_utils.base"
            or module.startswith("cluster_utils.base.")
        )
    ]
    assert not wrong, "the HTCondor backend may import only the stdlib and cluster_utils.base"


def test_no_backend_imports_a_layer_above() -> None:
    above = re.compile(r"^cluster_utils\.(?!base\b|backends\b)")
    wrong = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {module}"
        for path in python_files(BACKENDS)
        for line, module in imported_modules(path)
        if above.match(module)
    ]
    assert not wrong


_DIRECT = re.compile(
    r"^\s*(from\s+cluster_utils\.backends\.htcondor\b|import\s+cluster_utils\.backends\.htcondor\b"
    r"|from\s+cluster_utils\.backends\s+import\s+[^#\n]*\bhtcondor\b)",
    re.M,
)


@pytest.mark.parametrize("root", USERS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_the_backend_is_reached_only_through_get_backend(root: Path) -> None:
    files = [
        p
        for p in root.rglob("*")
        if p.is_file()
        and (p.suffix in (".py", ".smk") or p.name == "Snakefile")
        and BACKENDS not in p.parents
    ]
    wrong = [
        f"{path.relative_to(REPO_ROOT)}: {match.group(0).strip()}"
        for path in files
        for match in _DIRECT.finditer(path.read_text())
    ]
    assert not wrong, "use cluster_utils.backends.get_backend('htcondor')"


@pytest.mark.parametrize(
    "path",
    python_files(HTCONDOR_BACKEND, REPO_ROOT / "snakemake_executor_plugin_cluster_utils_htcondor"),
    ids=lambda p: str(p.relative_to(REPO_ROOT)),
)
def test_modules_and_functions_stay_small(path: Path) -> None:
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    long = [
        node.name
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or node.lineno) - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long
