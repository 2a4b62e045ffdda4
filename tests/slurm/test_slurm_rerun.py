"""kill -9 of ``cluster-utils grid-search`` during a Slurm run, then the same command again: the
jobs left in Slurm keep running and are adopted (not submitted twice), jobs that finished while
no driver watched are not run or submitted again, and the results have one row per job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from tests.cluster_helpers import child_pids, start_driver, wait_for
from tests.slurm.slurm_helpers import GridRun, cli_command, executor_counts, sacct, write_grid

pytestmark = [pytest.mark.slurm, pytest.mark.slow, pytest.mark.usefixtures("slurm_cluster")]

N_JOBS = 8

#: appends one line per start of the script to runs/<x>; runs 3, 8, 13 or 18 s
SCRIPT = """
import json, os, time
from pathlib import Path
from cluster_utils import initialize_job, finalize_job

params = initialize_job()
runs = Path(__file__).resolve().parent / "runs"
runs.mkdir(exist_ok=True)
task = f"{os.environ['SLURM_ARRAY_JOB_ID']}_{os.environ['SLURM_ARRAY_TASK_ID']}"
with open(runs / str(params.x), "a") as f:
    f.write(json.dumps({"task": task, "t": time.time()}) + "\\n")
time.sleep(3 + 5 * (params.x % 4))
finalize_job({"y": 10 * params.x}, params)
"""


def _wait_for(condition, seconds: float, what: str, run: GridRun, driver_log: Path) -> None:
    wait_for(condition, seconds, what, run, driver_log, _squeue_view)


def _squeue_view() -> str:
    return "squeue:\n" + subprocess.run(["squeue"], capture_output=True, text=True).stdout


def _queued(run_name: str) -> list[str]:
    out = subprocess.run(
        ["squeue", "-h", "-r", "--name", run_name, "-o", "%i %T"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split("\n")[:-1]


def test_kill_9_of_the_driver_then_rerun_adopts_the_jobs_left_in_slurm(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(SCRIPT)
    config = write_grid(tmp_path, "kill9", "job.py", [{"param": "x", "values": [*range(N_JOBS)]}])
    env = {**os.environ, "CLUSTER_UTILS_LOG_LEVEL": "warning"}
    run = GridRun(tmp_path / "results" / "kill9", 0, "")
    driver_log = tmp_path / "driver.log"
    driver = start_driver(cli_command(config), tmp_path, driver_log, env)

    def wait_for(condition, seconds: float, what: str) -> None:
        _wait_for(condition, seconds, what, run, driver_log)

    try:
        arrays_file = run.experiment / ".cluster_utils" / "slurm_arrays.jsonl"
        wait_for(lambda: arrays_file.exists() and len(run.done_jobs()) >= 2, 120, "2 finished jobs")
        snakemake_pids = child_pids(driver.pid)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
    assert snakemake_pids, "the driver's Snakemake was not found"
    (first_array,) = run.arrays()
    name = first_array["run"]
    # Snakemake notices that its driver is gone and ends, leaving the Slurm jobs alone
    wait_for(lambda: not any(Path(f"/proc/{p}").exists() for p in snakemake_pids), 60, "exit")
    assert "the process that started this run is gone" in run.snakemake_log
    done_at_kill = run.done_jobs()
    assert _queued(name), "the killed run's Slurm jobs were cancelled"
    # one more job finishes while no driver watches; others are still queued or running
    wait_for(lambda: len(run.done_jobs()) > len(done_at_kill), 60, "a job finishing unwatched")
    left_in_slurm = _queued(name)
    assert left_in_slurm, "every job ended before the rerun: nothing left to adopt"

    proc = subprocess.run(
        cli_command(config), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:] + run.snakemake_log[-3000:]

    # every job's script ran exactly once, and went to Slurm exactly once
    runs = {p.name: p.read_text().splitlines() for p in (tmp_path / "runs").iterdir()}
    assert sorted(runs) == sorted(str(x) for x in range(N_JOBS))
    assert all(len(lines) == 1 for lines in runs.values()), runs
    submitted = Counter(job for record in run.arrays() for job in record["tasks"])
    assert run.arrays() == [first_array] and set(submitted.values()) == {1}
    sbatch_calls, tasks, _, _ = executor_counts(run.snakemake_log)
    assert (sbatch_calls, tasks) == (0, 0)
    log = run.snakemake_log
    assert "jobs adopted from earlier runs, still in Slurm" in log
    assert "already finished (its state.json says so); not submitted again" in log
    # each job ran in the task the first run submitted it as; all of them completed
    expected = len(first_array["tasks"])
    records = sacct("--name", name, fields="JobID,State", expect=expected)
    records = {r["JobID"]: r["State"] for r in records}
    array_id = first_array["array_job_id"]
    for index, job in enumerate(first_array["tasks"]):
        task = f"{array_id}_{index}"
        assert records.get(task) == "COMPLETED", (task, records)
        assert json.loads(runs[str(_param_of(run, job))][0])["task"] == task
    assert not _queued(name)

    data = pd.read_csv(run.experiment / "all_data.csv")
    assert len(data) == N_JOBS and data["_id"].is_unique
    assert sorted(data["y"]) == [10 * x for x in range(N_JOBS)]


def _param_of(run: GridRun, job_id: str) -> int:
    params = json.loads((run.experiment / "jobs" / job_id / "params.json").read_text())
    return int(params["x"])
