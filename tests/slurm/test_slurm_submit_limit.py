"""The submit cap follows the accounting database's per-user limits, read on the real cluster.

``user_submit_limit`` reads the association's ``MaxSubmitJobs`` and the default QOS'
``MaxSubmitJobsPerUser``; the executor reads it in the background while Snakemake prepares the
first jobs and keeps at most that many of the run's jobs in Slurm. Each test sets a limit with
``sacctmgr`` and removes it again.
"""

from __future__ import annotations

import getpass
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.slurm.slurm_helpers import (
    GridRun,
    assert_at_most_in_slurm,
    cli_command,
    executor_counts,
    run_uuid,
    sacct,
    write_grid,
)

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

_limits = pytest.importorskip("snakemake_executor_plugin_cluster_utils_slurm._limits")


def _sacctmgr(*args: str) -> None:
    subprocess.run(["sacctmgr", "-i", *args], capture_output=True, text=True, check=True)


@pytest.fixture
def user_limit() -> Iterator[None]:
    _sacctmgr("modify", "user", getpass.getuser(), "set", "MaxSubmitJobs=7")
    try:
        yield
    finally:
        _sacctmgr("modify", "user", getpass.getuser(), "set", "MaxSubmitJobs=-1")


@pytest.fixture
def qos_limit() -> Iterator[None]:
    _sacctmgr("modify", "qos", "normal", "set", "MaxSubmitJobsPerUser=5")
    try:
        yield
    finally:
        _sacctmgr("modify", "qos", "normal", "set", "MaxSubmitJobsPerUser=-1")


def test_no_limit_in_the_accounting_database_is_no_cap() -> None:
    assert _limits.user_submit_limit() is None
    assert _limits.user_submit_limit_in_background().result(timeout=30) is None


@pytest.mark.usefixtures("user_limit")
def test_the_association_limit_caps_submissions() -> None:
    assert _limits.user_submit_limit() == 7
    assert _limits.user_submit_limit_in_background().result(timeout=30) == 7


@pytest.mark.usefixtures("user_limit", "qos_limit")
def test_the_smaller_of_association_and_qos_limits_wins() -> None:
    assert _limits.user_submit_limit_in_background().result(timeout=30) == 5


@pytest.mark.slow
@pytest.mark.usefixtures("user_limit")
def test_a_grid_keeps_at_most_the_users_limit_in_slurm(tmp_path: Path) -> None:
    """7 jobs while the user may have 3 in Slurm (MaxSubmitJobs=3, the profile's cap is 1000):
    the run's cap is 3, at most 3 tasks are queued or running at a time, every job succeeds."""
    _sacctmgr("modify", "user", getpass.getuser(), "set", "MaxSubmitJobs=3")  # reset by user_limit
    (tmp_path / "job.py").write_text(
        "from cluster_utils import initialize_job, finalize_job\n"
        "params = initialize_job()\n"
        "finalize_job({'y': params.x * 2}, params)\n"
    )
    config = write_grid(tmp_path, "capped", "job.py", [{"param": "x", "values": [*range(7)]}])
    proc = subprocess.run(
        cli_command(config), cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    run = GridRun(tmp_path / "results" / "capped", proc.returncode, proc.stderr)
    log = run.snakemake_log
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "submit cap 3" in log
    assert sorted(pd.read_csv(run.experiment / "all_data.csv")["y"]) == [2 * x for x in range(7)]
    sbatch_calls, tasks, _, _ = executor_counts(log)
    arrays = run.arrays()
    assert tasks == 7 and sbatch_calls == len(arrays) >= 3
    records = sacct(
        "--name",
        run_uuid(log),
        "--starttime",
        "now-1hour",
        fields="JobID,State,Submit,End",
        expect=7,
    )
    assert len(records) == 7 and {r["State"] for r in records} == {"COMPLETED"}
    assert_at_most_in_slurm(3, arrays, records)
