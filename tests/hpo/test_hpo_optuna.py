"""``cluster-utils optimize`` with optimizer_str optuna: a whole run, and kill -9 of the driver
mid-run followed by the same command, which continues the same Optuna study without repeating or
losing a job."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.hpo.hpo_helpers import DATA, HpoRun, driver_env, wait_for

optuna = pytest.importorskip("optuna")

pytestmark = pytest.mark.slow

SAMPLES = 12
IN_FLIGHT = 3
FAILING_JOB = 1


class OptimizeCommand(HpoRun):
    """The same experiment, run through ``cluster-utils optimize`` (the CLI's main)."""

    def command(self, *overrides: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "cluster_utils.cli.main",
            "optimize",
            str(self.config_file),
            'results_dir="results"',
            "--profile",
            "local",
            *overrides,
        ]


def _experiment(workdir: Path, sampler: str = "tpe") -> OptimizeCommand:
    shutil.copy(DATA / "counted_job.py", workdir / "job.py")
    run = HpoRun.with_config(
        workdir,
        optimizer_str="optuna",
        optimizer_settings={"sampler": sampler, "n_startup_trials": 4},
        optimization_setting={"number_of_samples": SAMPLES, "n_jobs_per_iteration": IN_FLIGHT},
        optimized_params=[
            {"param": "x", "distribution": "TruncatedNormal", "bounds": [0.0, 1.0]},
            {"param": "width", "distribution": "IntLogNormal", "bounds": [1, 64]},
        ],
        fixed_params={"durations": [0.4, 0.25, 0.6], "fail": [FAILING_JOB]},
        num_best_jobs_whose_data_is_kept=2,
    )
    return OptimizeCommand(run.workdir, run.config_file, run.name)


def _study_trials(run: HpoRun) -> list[Any]:
    journal = run.results / ".cluster_utils" / "optuna_journal.log"
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal))
    )
    return optuna.load_study(study_name="cluster_utils", storage=storage).get_trials()


def _check_study_matches_jobs(run: HpoRun) -> None:
    """Every job is one finished trial with its setting and outcome; other trials never ran."""
    records = run.driver_state()["jobs"]
    trials = _study_trials(run)
    unmatched = list(trials)
    for record in records:
        matches = [t for t in unmatched if t.params == record["setting"]]
        assert len(matches) == 1, (record, [t.params for t in trials])
        trial = matches[0]
        unmatched.remove(trial)
        if record["status"] == "succeeded":
            assert trial.state == optuna.trial.TrialState.COMPLETE
            assert trial.value == record["value"]
        else:
            assert trial.state == optuna.trial.TrialState.FAIL
    # trials asked just before the kill and never handed to a job are failed, never complete
    assert all(t.state == optuna.trial.TrialState.FAIL for t in unmatched)
    assert len(unmatched) <= IN_FLIGHT


def test_whole_run_with_optuna(hpo_workdir: Path) -> None:
    run = _experiment(hpo_workdir, "cmaes")
    result = run.run()
    assert result.returncode == 0, result.stderr
    assert "starting hp_optimization 'hpo' (optuna" in result.stderr
    records = run.driver_state()["jobs"]
    assert len(records) == SAMPLES
    failed = [r["id"] for r in records if r["status"] == "failed"]
    assert failed == [FAILING_JOB]
    _check_study_matches_jobs(run)
    assert len(_study_trials(run)) == SAMPLES
    all_data = run.all_data()
    assert sorted(all_data["_id"]) == sorted(r["id"] for r in records if r["id"] != FAILING_JOB)
    assert len(list((run.results / "best_jobs").iterdir())) == 2


@pytest.mark.parametrize("moment", ["early", "mid"])
def test_kill_9_of_optimize_and_the_same_command_continues_the_study(
    hpo_workdir: Path, moment: str
) -> None:
    run = _experiment(hpo_workdir)
    driver = run.start()
    if moment == "early":
        wait_for(lambda: bool(run.ids_with_status("running")))
    else:
        wait_for(lambda: len(run.ids_with_status("succeeded")) >= SAMPLES // 2)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    wait_for(lambda: not run.ids_with_status("running"), timeout=20)
    time.sleep(0.3)
    finished_before_resume = run.ids_with_status("succeeded")
    told_before = [t for t in _study_trials(run) if t.state.is_finished()]
    assert len(finished_before_resume) < SAMPLES

    result = run.run()
    assert result.returncode == 0, result.stderr
    assert "continuing hp_optimization" in result.stderr

    records = run.driver_state()["jobs"]
    ids = [r["id"] for r in records]
    assert len(ids) == SAMPLES == len(set(ids))
    assert {r["id"] for r in records if r["status"] == "failed"} <= {FAILING_JOB}
    counts = run.run_counts()
    for job_id in finished_before_resume:
        assert counts[job_id] == ["start", "finished"], f"finished job {job_id} ran again"
    for job_id in ids:
        if job_id != FAILING_JOB:
            assert counts[job_id].count("finished") == 1, (job_id, counts[job_id])
    settings = [json.dumps(r["setting"], sort_keys=True) for r in records]
    assert len(set(settings)) == SAMPLES, "a setting was asked again"
    _check_study_matches_jobs(run)
    told_after = {t.number: t for t in _study_trials(run)}
    for trial in told_before:  # nothing the study had was lost or changed
        assert told_after[trial.number].state == trial.state
        assert told_after[trial.number].value == trial.value


def test_kill_bad_jobs_early_stops_bad_jobs_and_the_study_gets_them_as_told_trials(
    hpo_workdir: Path,
) -> None:
    shutil.copy(DATA / "counted_job.py", hpo_workdir / "job.py")
    bad_ids = [7, 8]
    base = HpoRun.with_config(
        hpo_workdir,
        optimizer_str="optuna",
        optimizer_settings={"sampler": "tpe", "n_startup_trials": 4},
        optimized_params=[{"param": "x", "distribution": "TruncatedNormal", "bounds": [0.1, 1.0]}],
        optimization_setting={"number_of_samples": 9, "n_jobs_per_iteration": 3},
        fixed_params={
            "early_steps": 6,
            "step_seconds": 0.3,
            "bad_step_seconds": 1.5,
            "bad_ids": bad_ids,
        },
        kill_bad_jobs_early=True,
        early_killing_params={"target_rank": 3, "how_many_stds": 1.0},
    )
    run = OptimizeCommand(base.workdir, base.config_file, base.name)
    result = run.run()
    assert result.returncode == 0, result.stderr
    records = {r["id"]: r for r in run.driver_state()["jobs"]}
    assert sorted(records) == list(range(9))
    counts = run.run_counts()
    for job_id in bad_ids:
        bad = records[job_id]
        assert bad["status"] == "stopped_early", bad
        assert bad["value"] == bad["early_values"][-1] >= 100.0
        assert len(bad["early_values"]) < 6
        assert counts[job_id] == ["start"]  # never finished
        assert f"Job {job_id} looks bad" in result.stderr
    for job_id, record in records.items():  # the rule may stop a weak good job too: by rank
        if job_id not in bad_ids:
            assert record["status"] in ("succeeded", "stopped_early"), record
            assert record["value"] < 100.0
    assert sum(r["status"] == "succeeded" for r in records.values()) >= 5

    trials = _study_trials(run)
    assert len(trials) == 9
    for record in records.values():  # every job, stopped or not, is a told (complete) trial
        (trial,) = [t for t in trials if t.params == record["setting"]]
        assert trial.state == optuna.trial.TrialState.COMPLETE
        assert trial.value == record["value"]
    assert run.all_data().set_index("_id").loc[bad_ids[0], "loss"] >= 100.0


def test_unknown_sampler_setting_is_a_config_error_before_any_job(hpo_workdir: Path) -> None:
    run = _experiment(hpo_workdir)
    result = subprocess.run(
        run.command("optimizer_settings.n_start_trials=3"),
        cwd=run.workdir,
        capture_output=True,
        text=True,
        timeout=120,
        env=driver_env(),
    )
    assert result.returncode == 2, result.stderr
    assert "optimizer_settings.n_start_trials" in result.stderr
    assert not run.run_counts()
