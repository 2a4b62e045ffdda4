"""Cluster profiles: every refill batch is one Snakemake process (here: a copy of the local
profile, so that the Snakemake path is exercised without a cluster)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cluster_utils.base.workflow_files import profile_dir
from tests.hpo.hpo_helpers import DATA, HpoRun

pytestmark = pytest.mark.slow

SAMPLES = 6
IN_FLIGHT = 3


def test_batches_run_through_snakemake(hpo_workdir: Path) -> None:
    shutil.copy(DATA / "counted_job.py", hpo_workdir / "job.py")
    profile = hpo_workdir / "my_profile"
    shutil.copytree(profile_dir("local"), profile)
    run = HpoRun.with_config(
        hpo_workdir,
        optimization_setting={"number_of_samples": SAMPLES, "n_jobs_per_iteration": IN_FLIGHT},
        fixed_params={"durations": [0.2, 1.5], "fail": [4]},
    )
    result = run.run("--profile", str(profile))
    assert result.returncode == 0, result.stderr
    assert f"using profile {profile}" in result.stderr

    states = run.states()
    assert sorted(states) == list(range(SAMPLES))
    assert {i: s["status"] for i, s in states.items() if s["status"] != "succeeded"} == {
        4: "failed"
    }
    assert "job 4 failed: exited with code 1" in result.stderr
    assert sorted(run.all_data()["_id"]) == [0, 1, 2, 3, 5]
    assert all(counts == ["start", "finished"] for i, counts in run.run_counts().items() if i != 4)
    # Snakemake's metadata stays in the per-batch directories, removed after successful batches
    assert not (run.results / ".snakemake").exists()
    batches = run.results / ".cluster_utils" / "hpo_batches"
    leftovers = list(batches.iterdir())
    assert len(leftovers) == 1  # the batch of the failed job keeps its log
    assert 4 in json.loads((leftovers[0] / "jobs.json").read_text())
    assert (leftovers[0] / "snakemake.log").is_file()
