"""A job qsub refuses (here: GPUs on a server that defines no ``ngpus`` resource) is reported with
PBS's words in the driver's summary and failures.csv, not only in Snakemake's log."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.pbs.pbs_helpers import LIFECYCLE_SCRIPT, run_grid, write_grid

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
