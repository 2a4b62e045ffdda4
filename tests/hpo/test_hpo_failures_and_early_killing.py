"""Failed jobs are told as failures and shown; the abort rule; kill_bad_jobs_early."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.hpo.hpo_helpers import DATA, HpoRun

pytestmark = pytest.mark.slow


def _experiment(workdir: Path, **settings) -> HpoRun:
    shutil.copy(DATA / "counted_job.py", workdir / "job.py")
    return HpoRun.with_config(workdir, **settings)


def test_failed_jobs_are_told_as_failures_and_shown(hpo_workdir: Path) -> None:
    run = _experiment(
        hpo_workdir,
        optimization_setting={"number_of_samples": 8, "n_jobs_per_iteration": 2},
        fixed_params={"fail": [1, 4]},
    )
    result = run.run()
    assert result.returncode == 0, result.stderr
    # as they happen, and in the summary: reason and the tail of stderr
    assert result.stderr.count("job 1 failed: exited with code 1") == 2
    assert "RuntimeError: job 4 broke on purpose" in result.stderr

    state = run.driver_state()
    failed = [r for r in state["jobs"] if r["status"] == "failed"]
    assert [(r["id"], r["value"]) for r in failed] == [(1, None), (4, None)]
    told = state["optimizer"]["observations"]
    assert len(told) == 8 and sum(value is None for _, value in told) == 2

    assert sorted(run.all_data()["_id"]) == [0, 2, 3, 5, 6, 7]
    failures = pd.read_csv(run.results / "failures.csv")
    assert list(failures["_id"]) == [1, 4]
    assert failures["stderr_tail"].str.contains("broke on purpose").all()
    jobs = pd.read_csv(run.results / "jobs.csv")
    assert dict(zip(jobs["_id"], jobs["status"], strict=True))[4] == "failed"


def test_too_many_failures_abort_the_run(hpo_workdir: Path) -> None:
    run = _experiment(
        hpo_workdir,
        optimization_setting={"number_of_samples": 40, "n_jobs_per_iteration": 2},
        fixed_params={"fail": "all"},
    )
    result = run.run()
    assert result.returncode == 1
    assert "Too many" in result.stderr and "aborted" in result.stderr
    records = run.driver_state()["jobs"]
    n_failed = sum(r["status"] == "failed" for r in records)
    assert 6 <= n_failed < 12
    assert len(records) < 40
    assert len(pd.read_csv(run.results / "failures.csv")) == n_failed


def test_a_clearly_bad_job_is_stopped_early(hpo_workdir: Path) -> None:
    good = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    run = _experiment(
        hpo_workdir,
        optimizer_str="gridsearch",
        optimizer_settings={},
        optimized_params=[{"param": "x", "distribution": "Discrete", "options": [*good, 100.0]}],
        optimization_setting={"number_of_samples": 7, "n_jobs_per_iteration": 3},
        fixed_params={"early_steps": 6, "step_seconds": 0.3, "bad_step_seconds": 1.5},
        kill_bad_jobs_early=True,
        early_killing_params={"target_rank": 3, "how_many_stds": 1.0},
    )
    result = run.run()
    assert result.returncode == 0, result.stderr
    records = {r["id"]: r for r in run.driver_state()["jobs"]}
    bad = records[6]
    assert bad["setting"] == {"x": 100.0}
    assert bad["status"] == "stopped_early"
    assert bad["value"] == bad["early_values"][-1] >= 100.0
    assert len(bad["early_values"]) <= 3
    assert all(records[i]["status"] == "succeeded" for i in range(6))
    assert run.states()[6]["status"] == "stopped_early"
    assert run.run_counts()[6] == ["start"]  # never finished
    assert "Job 6 looks bad" in result.stderr
    assert "Job 6 looks bad" in (run.results / "cluster_run.log").read_text()
    all_data = run.all_data()
    assert all_data.set_index("_id").loc[6, "loss"] == bad["value"]
    assert list(all_data["_id"])[-1] == 6  # the worst result
