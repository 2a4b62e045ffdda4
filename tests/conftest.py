"""Shared fixtures: run the real CLI in a subprocess on small grids in temporary directories.

The helpers themselves live in :mod:`tests.helpers`; import them from there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Still importable from here for tests written before tests/helpers.py; import from tests.helpers.
from tests.helpers import COUNTING_SCRIPT, REPO_ROOT, Experiment  # noqa: F401


@pytest.fixture
def experiment(tmp_path: Path) -> Experiment:
    os.environ.setdefault("CLUSTER_UTILS_LOG_LEVEL", "warning")
    return Experiment(tmp_path)
