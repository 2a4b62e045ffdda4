"""kill -9 of ``cluster-utils grid-search`` during a PBS run, then the same command again: the jobs
left in PBS keep running and are adopted (not submitted twice), jobs that finished while no driver
watched are not run again, and the results have one row per job. And Ctrl-C deletes the run's
jobs (qdel), in every array the server's max_array_size split them into."""

from __future__ import annotations

import json
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from tests.cluster_helpers import child_pids, start_driver, wait_for
from tests.pbs.pbs_helpers import (
    GridRun,
    cli_command,
    executor_counts,
    in_cluster,
    qstat_jobs,
    write_grid,
)

pytestmark = [pytest.mark.pbs, pytest.mark.slow, pytest.mark.usefixtures("pbs_cluster")]

N_JOBS = 6

#: appends one line per start of the script to runs/<x>; runs 2, 6 or 10 s; the last job also
#: waits for the file `release`, so that it is still in PBS when the rerun starts
SCRIPT = """
import json, os, time
from pathlib import Path
from cluster_utils import initialize_job, finalize_job

params = initialize_job()
here = Path(__file__).resolve().parent
runs = here / "runs"
runs.mkdir(exist_ok=True)
with open(runs / str(params.x), "a") as f:
    f.write(json.dumps({"job": os.environ["PBS_JOBID"], "t": time.time()}) + "\\n")
time.sleep(2 + 4 * (params.x % 3))
deadline = time.time() + 240
while params.x == LAST and not (here / "release").exists() and time.time() < deadline:
    time.sleep(0.2)
finalize_job({"y": 10 * params.x}, params)
""".replace("LAST", str(N_JOBS - 1))


def _wait_for(condition, seconds: float, what: str, run: GridRun, driver_log: Path) -> None:
    wait_for(condition, seconds, what, run, driver_log, _qstat_view)


def _qstat_view() -> str:
    qstat = subprocess.run(in_cluster(["qstat", "-t"]), capture_output=True, text=True)
    return f"qstat:\n{qstat.stdout}"


def _log_text(run: GridRun) -> str:
    try:
        return run.snakemake_log
    except OSError:  # being replaced by a new run's log
        return ""


def _active(array_id: str) -> list[str]:
    """The array and subjobs of ``array_id`` that are not finished."""
    jobs = qstat_jobs(array_id)
    return [job for job, fields in jobs.items() if fields.get("job_state") not in ("F", "X")]


def test_kill_9_of_the_driver_then_rerun_adopts_the_jobs_left_in_pbs(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(SCRIPT)
    config = write_grid(tmp_path, "kill9", "job.py", [{"param": "x", "values": [*range(N_JOBS)]}])
    run = GridRun(tmp_path / "results" / "kill9", 0, "")
    driver_log = tmp_path / "driver.log"
    driver = start_driver(cli_command(config), tmp_path, driver_log)

    def wait_for(condition, seconds: float, what: str) -> None:
        _wait_for(condition, seconds, what, run, driver_log)

    try:
        arrays_file = run.experiment / ".cluster_utils" / "pbs_arrays.jsonl"
        wait_for(lambda: arrays_file.exists() and len(run.done_jobs()) >= 1, 120, "a finished job")
        snakemake_pids = child_pids(driver.pid)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
    assert snakemake_pids, "the driver's Snakemake was not found"
    (first_array,) = run.arrays()
    array_id = first_array["array_job_id"]
    subjobs = [array_id.replace("[]", f"[{i}]") for i in range(N_JOBS)]
    # Snakemake notices that its driver is gone and ends, leaving the PBS jobs alone
    wait_for(lambda: not any(Path(f"/proc/{p}").exists() for p in snakemake_pids), 60, "exit")
    assert "the process that started this run is gone" in run.snakemake_log
    done_at_kill = run.done_jobs()
    assert _active(array_id), "the killed run's PBS jobs were deleted"
    # one more job finishes while no driver watches; others are still queued or running
    wait_for(lambda: len(run.done_jobs()) > len(done_at_kill), 60, "a job finishing unwatched")
    assert _active(array_id), "every job ended before the rerun: nothing left to adopt"

    # the same command again; the last job is let go once the rerun has adopted it
    rerun_log = tmp_path / "rerun.log"
    rerun = start_driver(cli_command(config), tmp_path, rerun_log)
    try:
        _wait_for(
            lambda: "jobs adopted from earlier runs, still in PBS" in _log_text(run),
            120,
            "the rerun adopting",
            run,
            rerun_log,
        )
        (tmp_path / "release").touch()
        assert rerun.wait(timeout=300) == 0, rerun_log.read_text()[-3000:]
    finally:
        (tmp_path / "release").touch()
        if rerun.poll() is None:
            rerun.kill()

    # every job's script ran exactly once, in the subjob the first run submitted it as
    runs = {p.name: p.read_text().splitlines() for p in (tmp_path / "runs").iterdir()}
    assert sorted(runs) == sorted(str(x) for x in range(N_JOBS))
    assert all(len(lines) == 1 for lines in runs.values()), runs
    submitted = Counter(job for record in run.arrays() for job in record["tasks"])
    assert run.arrays() == [first_array] and set(submitted.values()) == {1}
    qsub_calls, jobs, _, _ = executor_counts(run.snakemake_log)
    assert (qsub_calls, jobs) == (0, 0)
    log = run.snakemake_log
    assert "jobs adopted from earlier runs, still in PBS" in log
    assert "already finished (its state.json says so); not submitted again" in log
    for index, job in enumerate(first_array["tasks"]):
        x = json.loads((run.experiment / "jobs" / job / "params.json").read_text())["x"]
        assert json.loads(runs[str(x)][0])["job"] == subjobs[index]
    assert not _active(array_id)  # nothing left queued

    data = pd.read_csv(run.experiment / "all_data.csv")
    assert len(data) == N_JOBS and data["_id"].is_unique
    assert sorted(data["y"]) == [10 * x for x in range(N_JOBS)]


def _set_max_array_size(value: int | None) -> None:
    setting = f"set server max_array_size={value}" if value else "unset server max_array_size"
    subprocess.run(in_cluster(["qmgr", "-c", setting]), check=True, timeout=60)


def test_ctrl_c_deletes_the_runs_jobs_of_every_array(tmp_path: Path) -> None:
    """The server's max_array_size (2 here) splits the 4 jobs into two arrays; Ctrl-C deletes
    the run's jobs in both."""
    (tmp_path / "job.py").write_text(SCRIPT.replace("time.sleep(2 + ", "time.sleep(60 + "))
    config = write_grid(tmp_path, "ctrlc", "job.py", [{"param": "x", "values": [0, 1, 2, 3]}])
    run = GridRun(tmp_path / "results" / "ctrlc", 0, "")
    driver_log = tmp_path / "driver.log"
    _set_max_array_size(2)
    try:
        driver = start_driver(cli_command(config), tmp_path, driver_log)
        try:
            runs = tmp_path / "runs"
            _wait_for(
                lambda: runs.exists() and len(list(runs.iterdir())) >= 2,
                120,
                "running",
                run,
                driver_log,
            )
            driver.send_signal(signal.SIGINT)
            driver.wait(timeout=120)
        finally:
            if driver.poll() is None:
                driver.kill()
    finally:
        _set_max_array_size(None)
    arrays = run.arrays()
    assert [len(record["tasks"]) for record in arrays] == [2, 2]
    for record in arrays:
        assert not _active(record["array_job_id"]), driver_log.read_text()[-3000:]
    assert "deleted 4 PBS jobs of this run (qdel)" in run.snakemake_log
