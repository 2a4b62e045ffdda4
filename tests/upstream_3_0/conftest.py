"""One run of 3.0's run_integration_tests.sh per session, shared by the script and output tests."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.upstream_3_0.upstream30 import checkout, local_env, run_script


@dataclass
class ScriptRun:
    """A finished run of one of 3.0's scripts: its process and its results directory."""

    result: subprocess.CompletedProcess
    results: Path


@pytest.fixture(scope="session")
def integration_run(tmp_path_factory: pytest.TempPathFactory) -> ScriptRun:
    """3.0's tests/run_integration_tests.sh (5 runs: 3 grid searches, 2 hp_optimizations)."""
    scratch = tmp_path_factory.mktemp("upstream30_integration")
    root = checkout(scratch)
    results = scratch / "results"
    result = run_script("run_integration_tests.sh", root, results, local_env(scratch))
    return ScriptRun(result, results)
