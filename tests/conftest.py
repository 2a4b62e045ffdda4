"""Shared fixtures: run the real CLI in a subprocess on small grids in temporary directories.

The helpers themselves live in :mod:`tests.helpers`; import them from there. Tests that run a
whole experiment (or anything else for seconds) are marked ``slow``: ``pytest -m "not slow"`` is
the fast loop; scripts/test.sh runs everything.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import Experiment


@pytest.fixture
def experiment(tmp_path: Path) -> Experiment:
    os.environ.setdefault("CLUSTER_UTILS_LOG_LEVEL", "warning")
    return Experiment(tmp_path)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the localhost Slurm cluster or HTCondor pool are slow as well: the fast loop
    (``-m "not slow"``) never starts a cluster."""
    for item in items:
        if item.get_closest_marker("slurm") or item.get_closest_marker("htcondor"):
            item.add_marker(pytest.mark.slow)
