"""Shared fixtures: run the real CLI in a subprocess on small grids in temporary directories.

The helpers themselves live in :mod:`tests.helpers`; import them from there. Tests that run a
whole experiment (or anything else for seconds) are marked ``slow``: ``pytest -m "not slow"`` is
the fast loop; scripts/test.sh runs everything, in parallel pytest-xdist workers
(``--dist loadgroup``): the tests that must run one after the other in one worker get an
``xdist_group`` here (:mod:`tests.worker_groups`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import Experiment
from tests.worker_groups import worker_groups


@pytest.fixture
def experiment(tmp_path: Path) -> Experiment:
    os.environ.setdefault("CLUSTER_UTILS_LOG_LEVEL", "warning")
    return Experiment(tmp_path)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests on the localhost Slurm cluster or HTCondor pool are slow as well: the fast loop
    (``-m "not slow"``) never starts a cluster. With pytest-xdist, each test that shares a
    cluster or an expensive fixture with others gets its ``xdist_group``."""
    for item in items:
        if item.get_closest_marker("slurm") or item.get_closest_marker("htcondor"):
            item.add_marker(pytest.mark.slow)
    if config.pluginmanager.has_plugin("xdist"):
        for item, group in worker_groups(items).items():
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """In a pytest-xdist worker of ``--dist loadgroup``, a grouped test's node id must carry its
    group (``<id>@<group>``): xdist's scheduler sees only node ids. Where a pytest/xdist pair
    does not (pytest 9.2 with xdist 3.8), grouped tests would run at the same time as the rest of
    their group: such a test fails instead, before any of its fixtures start something."""
    if not getattr(item.config.option, "loadgroup", False):
        return
    if item.get_closest_marker("xdist_group") and "@" not in item.nodeid.rsplit("]", 1)[-1]:
        pytest.fail(
            "pytest-xdist's --dist loadgroup cannot keep this test in its group with this "
            "pytest (its node id lost the group); install the `test` extra's versions "
            "(pyproject.toml)",
            pytrace=False,
        )
