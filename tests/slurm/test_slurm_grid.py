"""Grid searches on the localhost Slurm cluster through profiles/slurm (executor
cluster-utils-slurm): every job goes out with sbatch (as array tasks that run the cluster_utils
runner directly), failures, timeouts and exit_for_resume behave as locally, and sacct agrees.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from snakemake_executor_plugin_cluster_utils_slurm import _status
from tests.helpers import REPO_ROOT
from tests.slurm.slurm_helpers import (
    FAST_POLLING,
    LIFECYCLE_SCRIPT,
    GridRun,
    assert_at_most_in_slurm,
    cli_command,
    executor_counts,
    run_uuid,
    sacct,
    task_states,
    write_grid,
)

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

TRIVIAL_SCRIPT = """
import os
from cluster_utils import initialize_job, finalize_job

params = initialize_job()
array, index = int(os.environ["SLURM_ARRAY_JOB_ID"]), int(os.environ["SLURM_ARRAY_TASK_ID"])
finalize_job({"y": params.x * 2, "array": array, "task": index}, params)
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("CLUSTER_UTILS_LOG_LEVEL", "warning")
    return env


# ----------------------------------------------------------------- snakemake --profile, checkout


def test_snakemake_profile_from_a_checkout_with_a_submit_cap(tmp_path: Path) -> None:
    """`snakemake --profile profiles/slurm --configfile grid.yaml`: 8 jobs, at most 5 of them in
    Slurm at a time, all rows in all_data.csv, each job a COMPLETED array task in sacct."""
    checkout = tmp_path / "checkout"
    for name in ("Snakefile", "workflow", "profiles", "config"):
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, checkout / name)
        else:
            checkout.mkdir(exist_ok=True)
            shutil.copy2(source, checkout / name)
    (checkout / "job.py").write_text(TRIVIAL_SCRIPT)
    grid = [{"param": "x", "values": [*range(8)]}]
    config = write_grid(checkout, "checkout_grid", "job.py", grid)
    start = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--profile",
            "profiles/slurm",
            "--configfile",
            config.name,
            *FAST_POLLING,
            "--cluster-utils-slurm-submit-cap",
            "5",
        ],
        cwd=checkout,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    wall = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-4000:]
    run = GridRun(checkout / "results" / "checkout_grid", proc.returncode, proc.stderr)
    data = pd.read_csv(run.experiment / "all_data.csv")
    assert sorted(data["y"]) == [2 * x for x in range(8)]

    sbatch_calls, tasks, queries, cycles = executor_counts(proc.stderr)
    arrays = run.arrays()
    assert tasks == 8 and sbatch_calls == len(arrays) >= 2
    assert all(len(a["tasks"]) <= 5 for a in arrays)
    assert queries == cycles  # one sacct per status cycle
    uuid = run_uuid(proc.stderr)
    records = sacct(
        "--name", uuid, "--starttime", "now-1hour", fields="JobID,State,Submit,End", expect=8
    )
    assert len(records) == 8 and {r["State"] for r in records} == {"COMPLETED"}
    assert_at_most_in_slurm(5, arrays, records)
    for row in data.to_dict("records"):
        task = run.task_of(int(row["_id"]))
        assert f"{row['array']}_{row['task']}" == task
        assert next(r for r in records if r["JobID"] == task)["State"] == "COMPLETED"
    print(f"8 jobs, cap 5: {wall:.1f} s, {sbatch_calls} sbatch calls, {queries} sacct calls")


# ------------------------------------------------------------- the CLI: a grid with everything


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, GridRun]]:
    """Two CLI runs at the same time: a 6-job grid (3 ok, one failing, one exiting for resume
    twice, one running past its 1-minute request_time), and the timeout-signal example (one
    job, SIGUSR1 45 s before its 1-minute limit, checkpoint, resume). Then the grid again after
    the failing and timing-out jobs were fixed."""
    workdir = tmp_path_factory.mktemp("slurm_lifecycle")
    (workdir / "job.py").write_text(LIFECYCLE_SCRIPT)
    grid = write_grid(
        workdir,
        "lifecycle",
        "job.py",
        [{"param": "mode", "values": ["ok1", "ok2", "ok3", "fail", "resume", "timeout"]}],
        cluster_requirements={"request_cpus": 1, "memory_in_mb": 200, "request_time": "0:01:00"},
    )
    example = REPO_ROOT / "examples" / "slurm_timeout_signal"
    signal_config = yaml.safe_load((example / "grid_search.yaml").read_text())
    signal_config.update(
        results_dir="results",
        script_relative_path=str(example / "main.py"),
        hyperparam_list=[{"param": "x", "values": [1]}, {"param": "y", "values": [2]}],
        fixed_params={"n_iterations": 25, "seconds_per_iteration": 1},
    )
    signal_config["cluster_requirements"].update(
        request_time="0:01:00", signal_seconds_to_timeout=45
    )
    (workdir / "signal.yaml").write_text(yaml.safe_dump(signal_config))

    def start(config: Path) -> subprocess.Popen:
        return subprocess.Popen(
            cli_command(config),
            cwd=workdir,
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    started = time.monotonic()
    procs = {"grid": start(grid), "signal": start(workdir / "signal.yaml")}
    runs = {}
    names = {"grid": "lifecycle", "signal": signal_config["optimization_procedure_name"]}
    for key, proc in procs.items():
        output, _ = proc.communicate(timeout=300)
        runs[key] = GridRun(workdir / "results" / names[key], proc.returncode, output)
    runs["first_wall"] = time.monotonic() - started  # type: ignore[assignment]

    # the job states of the first run, before the rerun changes them
    runs["first_states"] = {  # type: ignore[assignment]
        int(path.parent.name): json.loads(path.read_text())
        for path in (runs["grid"].experiment / "jobs").glob("*/state.json")
    }
    (workdir / "fixed").write_text("")
    before = {p.name: len(p.read_text().splitlines()) for p in (workdir / "runs").iterdir()}
    proc = subprocess.run(
        cli_command(grid),
        cwd=workdir,
        env=_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    runs["rerun"] = GridRun(runs["grid"].experiment, proc.returncode, proc.stderr)
    after = {p.name: len(p.read_text().splitlines()) for p in (workdir / "runs").iterdir()}
    runs["rerun_counts"] = {k: after[k] - before.get(k, 0) for k in after}  # type: ignore[assignment]
    yield runs


def test_failing_job_is_reported_with_reason_and_stderr_tail(lifecycle) -> None:
    run = lifecycle["grid"]
    ids = run.job_ids_by("mode")
    assert run.returncode == 0, run.output[-4000:]
    # the CLI's summary, and Snakemake's error message from the executor
    assert f"job {ids['fail']} failed: exited with code 1" in run.output
    assert "something went wrong in the job" in run.output
    log = run.snakemake_log
    assert f"cluster_utils job {ids['fail']} failed: exited with code 1" in log
    task = run.task_of(ids["fail"], 0)
    assert f"Slurm job {task}: FAILED, ExitCode 1:0" in log
    assert task_states(task) == ["FAILED"]  # no retry, no requeue
    state = lifecycle["first_states"][ids["fail"]]
    assert state["status"] == "failed" and "something went wrong" in state["stderr_tail"]
    # the others went on: all of them succeeded
    for mode in ("ok1", "ok2", "ok3", "resume"):
        assert lifecycle["first_states"][ids[mode]]["status"] == "succeeded", mode
        assert task_states(run.task_of(ids[mode]))[-1] == "COMPLETED"


def test_job_exceeding_request_time_fails_as_timeout(lifecycle) -> None:
    run = lifecycle["grid"]
    ids = run.job_ids_by("mode")
    task = run.task_of(ids["timeout"], 0)
    assert task_states(task) == ["TIMEOUT"]
    state = lifecycle["first_states"][ids["timeout"]]
    assert state["status"] == "failed"
    assert state["reason"].startswith("exceeded request_time (Slurm time limit of 00:01:00")
    assert "working longer than request_time allows" in state["stderr_tail"]
    assert f"job {ids['timeout']} failed: exceeded request_time" in run.output
    assert f"cluster_utils job {ids['timeout']} failed: exceeded request_time" in run.snakemake_log


def test_exit_for_resume_twice_requeues_the_same_task(lifecycle) -> None:
    run = lifecycle["grid"]
    ids = run.job_ids_by("mode")
    runs = [json.loads(line) for line in (run.experiment.parents[1] / "runs" / "resume").open()]
    runs = runs[:3]  # the rerun does not run it again (checked below)
    task = run.task_of(ids["resume"])
    assert [r["task"] for r in runs] == [task] * 3  # one Slurm job, started three times
    assert task_states(task) == ["REQUEUED", "REQUEUED", "COMPLETED"]
    state = run.state(ids["resume"])
    assert state["status"] == "succeeded" and state["resumes"] == 2
    assert [a["resumed"] for a in state["attempts"]] == [True, True, False]
    # not a failure for Snakemake
    assert f"cluster_utils job {ids['resume']} failed" not in run.snakemake_log


def test_timeout_signal_checkpoints_and_resumes_to_success(lifecycle) -> None:
    run = lifecycle["signal"]
    assert run.returncode == 0, run.output[-4000:]
    data = pd.read_csv(run.experiment / "all_data.csv")
    assert len(data) == 1
    assert data["resumes"].tolist() == [1] and data["iterations"].tolist() == [25]
    (job_id,) = data["_id"].tolist()
    state = run.state(job_id)
    first, second = state["attempts"]
    # SIGUSR1 45 s before the 1-minute limit: ~15 s after the start (+ the iteration's end)
    assert first["resumed"] and 10 < first["end"] - first["start"] < 25, first
    assert not second["resumed"] and second["start"] > first["end"]
    stdout = (run.experiment / "jobs" / str(job_id) / "stdout.log").read_text()
    assert "Received timeout signal" in stdout and "continuing at iteration" in stdout
    assert task_states(run.task_of(job_id)) == ["REQUEUED", "COMPLETED"]


def test_rerun_reruns_only_the_failed_jobs_and_completes(lifecycle) -> None:
    rerun = lifecycle["rerun"]
    assert rerun.returncode == 0, rerun.output[-4000:]
    assert lifecycle["rerun_counts"] == {
        "ok1": 0,
        "ok2": 0,
        "ok3": 0,
        "fail": 1,
        "resume": 0,
        "timeout": 1,
    }
    data = pd.read_csv(rerun.experiment / "all_data.csv")
    assert sorted(data["mode"]) == sorted(["ok1", "ok2", "ok3", "fail", "resume", "timeout"])
    sbatch_calls, tasks, queries, cycles = executor_counts(rerun.snakemake_log)
    assert (sbatch_calls, tasks) == (1, 2) and queries == cycles
    # every row's job ran in the Slurm task registered for it (the first run's for most)
    tasks_of_run: dict[str, int] = {}
    for array in rerun.arrays():
        tasks_of_run[array["run"]] = tasks_of_run.get(array["run"], 0) + len(array["tasks"])
    records = {}
    for uuid, count in tasks_of_run.items():
        # every task's record (slurmdbd may not have the last ones yet when the run ends)
        found = sacct("--name", uuid, "--starttime", "now-1hour", expect=count)
        records.update({r["JobID"]: r for r in found})
    for row in data.to_dict("records"):
        task = rerun.task_of(int(row["_id"]))
        assert f"{row['array']}_{row['task']}" == task
        assert records[task]["State"] == "COMPLETED"
    print(f"first runs: {lifecycle['first_wall']:.1f} s")


# ------------------------------------------------------------------------- 1,000 jobs, arrays


def _completed_in_sacct(run: GridRun) -> int:
    uuid = run.arrays()[0]["run"]
    records = sacct("--name", uuid, "--starttime", "now-1hour", settle_seconds=0)  # mid-run
    return sum(r["State"] == "COMPLETED" for r in records)


def test_thousand_jobs_go_out_in_at_most_ten_sbatch_calls(tmp_path: Path) -> None:
    """1,000 trivial jobs through the CLI: all submitted within seconds as <= 10 arrays within
    MaxArraySize, one sacct per status cycle; stopped (Ctrl-C) once 20 have completed."""
    (tmp_path / "job.py").write_text(TRIVIAL_SCRIPT)
    config = write_grid(tmp_path, "thousand", "job.py", [{"param": "x", "values": [*range(1000)]}])
    started = time.monotonic()
    proc = subprocess.Popen(
        cli_command(config),
        cwd=tmp_path,
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run = GridRun(tmp_path / "results" / "thousand", 0, "")
    arrays_file = run.experiment / ".cluster_utils" / "slurm_arrays.jsonl"
    submitted_after = None
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            time.sleep(1)
            if (
                submitted_after is None
                and arrays_file.exists()
                and sum(len(a["tasks"]) for a in run.arrays()) == 1000
            ):
                submitted_after = time.monotonic() - started
            done = len(list((run.experiment / "jobs").glob("*/done")))
            # stop only once accounting has recorded the completions too (it lags the runner)
            if submitted_after is not None and done >= 20 and _completed_in_sacct(run) >= 20:
                break
        else:
            pytest.fail("1,000 jobs were not submitted and started within 180 s")
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: Snakemake cancels the rest
        proc.wait(timeout=120)
    arrays = run.arrays()
    sbatch_calls, tasks, queries, cycles = executor_counts(run.snakemake_log)
    assert tasks == 1000 and sbatch_calls == len(arrays) <= 10
    max_array = int(
        next(
            line.split("=")[1]
            for line in subprocess.run(
                ["scontrol", "show", "config"], capture_output=True, text=True, check=True
            ).stdout.splitlines()
            if line.startswith("MaxArraySize")
        )
    )
    assert all(len(a["tasks"]) <= max_array for a in arrays)
    assert queries == cycles
    uuid = arrays[0]["run"]
    records = sacct("--name", uuid, "--starttime", "now-1hour")
    # every task of every array is known to Slurm under this run's name (tasks cancelled
    # before they started are listed as one range record, e.g. 1010_[18-999])
    known: set[str] = set()
    for r in records:
        array_id, _, index = r["JobID"].partition("_")
        ranged = index.startswith("[")
        indices = _status.expand_task_ranges(index.strip("[]")) if ranged else [index]
        known.update(f"{array_id}_{i}" for i in indices)
    expected = {f"{a['array_job_id']}_{i}" for a in arrays for i in range(len(a["tasks"]))}
    assert known == expected
    completed = [r for r in records if r["State"] == "COMPLETED"]
    assert len(completed) >= 20
    print(
        f"1,000 jobs: all submitted {submitted_after:.1f} s after the start in {sbatch_calls} "
        f"sbatch calls; {queries} sacct calls in {cycles} status cycles; "
        f"{len(completed)} completed when stopped"
    )
