"""The runner records which scheduler job ran each attempt (provenance in state.json)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster_utils.runner.job_runner import scheduler_job_id


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "_CONDOR_JOB_AD"):
        monkeypatch.delenv(name, raising=False)


def test_local_run_has_no_scheduler_job() -> None:
    assert scheduler_job_id() is None


def test_slurm_job_and_array_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "17")
    assert scheduler_job_id() == "17"
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "12")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "5")
    assert scheduler_job_id() == "12_5"


def test_htcondor_job_from_its_job_ad(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ad = tmp_path / ".job.ad"
    ad.write_text('ClusterId = 331\nProcId = 0\nOwner = "pool"\n')
    monkeypatch.setenv("_CONDOR_JOB_AD", str(ad))
    assert scheduler_job_id() == "331.0"
