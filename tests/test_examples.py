"""Every example config in examples/ runs as documented (smaller sizes via overrides)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import REPO_ROOT

pytestmark = pytest.mark.slow

GRID_EXAMPLES = [
    ("examples/basic/grid_search.yaml", "basic_grid", 20),
    ("examples/basic/grid_search.json", "basic_grid_json", 16),
    ("examples/basic/grid_search.toml", "basic_grid_toml", 18),
    ("examples/checkpointing/grid_search_checkpointing.yaml", "checkpointing", 3),
]
HPO_EXAMPLES = [
    ("examples/basic/optimization_metaopt.yaml", "basic_cem"),
    ("examples/basic/optimization_ng.json", "basic_nevergrad"),
    ("examples/basic/optimization_optuna.json", "basic_optuna"),
    ("examples/basic/optimization_metaopt.toml", "basic_cem_toml"),
]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples")
    return tmp_path


def run(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", *args, "--profile", "local"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(("config", "name", "jobs"), GRID_EXAMPLES)
def test_grid_example(checkout: Path, config: str, name: str, jobs: int) -> None:
    result = run(checkout, "grid-search", config, "fixed_params.max_sleep_time=0")
    assert result.returncode == 0, result.stderr
    data = pd.read_csv(checkout / "results" / name / "all_data.csv")
    assert len(data) == jobs


@pytest.mark.parametrize(("config", "name"), HPO_EXAMPLES)
def test_hpo_example(checkout: Path, config: str, name: str) -> None:
    result = run(
        checkout,
        "optimize",
        config,
        "optimization_setting.number_of_samples=8",
        "fixed_params.max_sleep_time=0",
        "generate_report='never'",
    )
    assert result.returncode == 0, result.stderr
    experiment = checkout / "results" / name
    assert len(pd.read_csv(experiment / "all_data.csv")) == 8
    assert (experiment / "reduced_data.csv").is_file()
    assert (experiment / "best_jobs").is_dir()
