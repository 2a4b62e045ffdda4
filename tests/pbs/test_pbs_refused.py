"""A job qsub refuses (here: GPUs on a server that defines no ``ngpus`` resource) is reported with
PBS's words in the driver's summary and failures.csv, not only in Snakemake's log."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.pbs.pbs_helpers import LIFECYCLE_SCRIPT, qstat_jobs, run_grid, write_grid

pytestmark = [pytest.mark.pbs, pytest.mark.slow, pytest.mark.usefixtures("pbs_cluster")]


def test_a_job_qsub_refuses_is_a_failure_with_pbs_reason(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(LIFECYCLE_SCRIPT)
    config = write_grid(
        tmp_path,
        "refused",
        "job.py",
        [{"param": "mode", "values": ["ok1", "ok2"]}],
        cluster_requirements={"request_gpus": 1},
    )
    run = run_grid(config, timeout=120)
    assert run.returncode != 0
    reason = "PBS refused the job (qsub: Unknown resource: ngpus)"
    assert "0 succeeded, 2 failed, 0 not finished (of 2 jobs)" in run.output, run.output
    for job_id in (0, 1):
        assert f"job {job_id} failed: {reason}" in run.output, run.output
        assert run.state(job_id)["reason"] == reason
    failures = pd.read_csv(run.experiment / "failures.csv")
    assert list(failures["reason"]) == [reason, reason]


def test_a_job_no_node_can_ever_hold_is_removed_and_reported(tmp_path: Path) -> None:
    """qsub takes it, but PBS's scheduler says "Can Never Run" (more memory than any node has):
    reported as failed with PBS's words and deleted, instead of waiting forever."""
    (tmp_path / "job.py").write_text(LIFECYCLE_SCRIPT)
    config = write_grid(
        tmp_path,
        "never",
        "job.py",
        [{"param": "mode", "values": ["ok1", "ok2"]}],
        cluster_requirements={"memory_in_mb": 10**8},
    )
    run = run_grid(config, timeout=120)
    assert run.returncode != 0
    assert "0 succeeded, 2 failed, 0 not finished (of 2 jobs)" in run.output, run.output
    for job_id in (0, 1):
        reason = run.state(job_id)["reason"]
        assert reason.startswith("PBS can never run it: Can Never Run: Insufficient amount of "), (
            reason
        )
        assert "resource: mem" in reason and f"job {job_id} failed: PBS can never" in run.output
    (array,) = run.arrays()
    states = {job["job_state"] for job in qstat_jobs(array["array_job_id"]).values()}
    assert states == {"F"}  # deleted, not left queued
