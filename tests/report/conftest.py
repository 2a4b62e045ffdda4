"""Fixtures for the report tests: synthetic experiment directories.

The directories come from :mod:`tests.report.experiment_builder` (also used by the benchmark):
the files a run writes, written by the package's own writers, with failures, resumed jobs and,
for hpo, restarts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.experiment_builder import make_grid_experiment, make_hpo_experiment

DATA_DIR = Path(__file__).parent / "data"


@pytest.fixture
def grid_dir(tmp_path: Path) -> Path:
    """3 params (one categorical) x 3/2/3 values, 2 metrics + time_elapsed, 2 failures."""
    return make_grid_experiment(tmp_path / "grid_demo")


@pytest.fixture
def hpo_dir(tmp_path: Path) -> Path:
    """6 iterations x 8 jobs with restarts, 4 optimized params, 3 failures."""
    return make_hpo_experiment(tmp_path / "hpo_demo")


@pytest.fixture
def sample_log() -> Path:
    return DATA_DIR / "cluster_run.log"
