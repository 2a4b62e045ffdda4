"""A grid on the real localhost PBS through profiles/pbs: arrays, failures with their reasons, a
walltime kill, exit_for_resume, pass-through qsub options, then a rerun of only the failed jobs.

One experiment serves every assertion (its two runs take about a minute on the node's 2 CPUs).
A single job then shows the plain-qsub path, signal_seconds_to_timeout and a server restart.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.pbs.pbs_helpers import (
    LIFECYCLE_SCRIPT,
    SCRIPT,
    GridRun,
    cli_command,
    executor_counts,
    in_cluster,
    qstat_jobs,
    run_grid,
    write_grid,
)

pytestmark = [pytest.mark.pbs, pytest.mark.slow, pytest.mark.usefixtures("pbs_cluster")]

MODES = ["ok1", "ok2", "fail", "resume", "timeout"]


def _runs(workdir: Path, mode: str) -> list[dict]:
    path = workdir / "runs" / mode
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_grid_failures_walltime_resume_options_and_rerun_of_failed_jobs(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(LIFECYCLE_SCRIPT)
    config = write_grid(
        tmp_path,
        "life",
        "job.py",
        [{"param": "mode", "values": MODES}],
        cluster_requirements={
            "request_time": "10",  # 10 minutes ...
            # ... replaced by the user's walltime (8 s), and a project PBS shows in qstat -f
            "extra_submission_options": ["-l", "walltime=00:00:08", "-P", "cu_test_project"],
        },
        max_resumes=3,
    )
    # the jobs write their files with the submitter's umask (002 here), as on Slurm and locally,
    # not with PBS' default for jobs (077: unreadable for the user's group)
    umask = os.umask(0o002)
    try:
        first = run_grid(config)
    finally:
        os.umask(umask)
    log = first.snakemake_log
    assert "3 succeeded, 2 failed, 0 not finished (of 5 jobs)" in first.output, first.output
    ids = first.job_ids_by("mode")

    # one qsub -J for the whole grid, one qstat per status cycle
    (array,) = [r for r in first.arrays() if len(r["tasks"]) > 1]
    assert sorted(array["tasks"]) == sorted(str(i) for i in ids.values())
    qsub_calls, jobs, qstat_calls, cycles = executor_counts(log)
    assert (qsub_calls, jobs) == (1 + 2, len(MODES))  # + the resume job's two resubmissions
    assert qstat_calls == cycles

    # failures: the script's exit code with its stderr tail; the walltime kill in 3.0's words
    assert "job {} failed: exited with code 1".format(ids["fail"]) in first.output
    assert "something went wrong in the job" in first.output
    timeout = first.state(ids["timeout"])
    assert timeout["status"] == "failed"
    assert timeout["reason"].startswith("exceeded request_time (PBS walltime of 00:00:08")
    assert "exceeded request_time" in first.output

    # the user's qsub options reached PBS (and replaced the derived walltime, saying so once)
    subjob = first.state(ids["ok1"])["scheduler_job_id"]
    fields = qstat_jobs(subjob)[subjob]
    assert fields["Resource_List"]["walltime"] == "00:00:08"
    assert fields["project"] == "cu_test_project"
    assert fields["Resource_List"]["select"] == "1:ncpus=1:mem=200mb"
    assert log.count("extra_submission_options '-l walltime=00:00:08' replaces") == 1
    assert stat.S_IMODE((tmp_path / "runs" / "ok1").stat().st_mode) == 0o664
    done = first.experiment / "jobs" / str(ids["ok1"]) / "done"
    assert stat.S_IMODE(done.stat().st_mode) == 0o664

    # exit_for_resume twice: three PBS jobs, each a fresh walltime, then success
    resume_runs = _runs(tmp_path, "resume")
    assert len(resume_runs) == 3 and len({r["job"] for r in resume_runs}) == 3
    assert first.state(ids["resume"])["status"] == "succeeded"
    assert log.count("asked to be resumed (exit_for_resume); submitted again") == 2

    # after a fix, the same command runs only the two failed jobs, in one array
    (tmp_path / "fixed").touch()
    second = run_grid(config)
    assert second.returncode == 0, second.output + second.snakemake_log[-3000:]
    assert [sorted(r["tasks"]) for r in second.arrays()[-1:]] == [
        sorted([str(ids["fail"]), str(ids["timeout"])])
    ]
    for mode in MODES:
        assert len(_runs(tmp_path, mode)) == {"fail": 2, "timeout": 2, "resume": 3}.get(mode, 1)
    data = pd.read_csv(second.experiment / "all_data.csv")
    assert len(data) == len(MODES) and data["_id"].is_unique


#: waits for SIGUSR1 (signal_seconds_to_timeout) and records when it came, relative to its start
SIGNAL_SCRIPT = """
import os, signal, threading, time
from pathlib import Path
from cluster_utils import initialize_job, finalize_job

params = initialize_job()
started = time.time()
got = threading.Event()
signal.signal(signal.SIGUSR1, lambda *_: got.set())
with open(Path(__file__).resolve().parent / "started", "a") as f:
    f.write(os.environ["PBS_JOBID"] + "\\n")
got.wait(60)
finalize_job({"signalled": got.is_set(), "after": time.time() - started,
              "pbs_job": os.environ["PBS_JOBID"]}, params)
"""


def test_signal_before_walltime_of_a_single_job_while_the_server_restarts(tmp_path: Path) -> None:
    """One job goes out as a plain qsub (no -J). PBS has no --signal: the runner's own timer sends
    SIGUSR1 before request_time (30 s - 22 s: about 8 s after the start). Meanwhile the server is
    stopped and started again: the driver waits for it, and the job runs once."""
    (tmp_path / "job.py").write_text(SIGNAL_SCRIPT)
    config = write_grid(
        tmp_path,
        "signal",
        "job.py",
        [{"param": "x", "values": [1]}],
        cluster_requirements={"request_time": "0:30", "signal_seconds_to_timeout": 22},
    )
    driver_log = tmp_path / "driver.log"
    with open(driver_log, "wb") as out:
        driver = subprocess.Popen(
            cli_command(config), cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "started").exists():
            assert time.monotonic() < deadline, driver_log.read_text()[-3000:]
            assert driver.poll() is None, driver_log.read_text()[-3000:]
            time.sleep(0.3)
        subprocess.run(in_cluster(["qterm", "-t", "quick"]), check=True, timeout=60)
        time.sleep(6)
        subprocess.run(["bash", str(SCRIPT), "start"], check=True, timeout=300)
        assert driver.wait(timeout=240) == 0, driver_log.read_text()[-3000:]
    finally:
        subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, timeout=300)
        if driver.poll() is None:
            driver.kill()
    run = GridRun(tmp_path / "results" / "signal", 0, driver_log.read_text())
    data = pd.read_csv(run.experiment / "all_data.csv")
    assert bool(data["signalled"].iloc[0]) and 4 < data["after"].iloc[0] < 20
    (record,) = run.arrays()
    assert "[]" not in record["array_job_id"] and data["pbs_job"].iloc[0] == record["array_job_id"]
    assert (tmp_path / "started").read_text().split() == [record["array_job_id"]]  # ran once
    log = run.snakemake_log
    assert "submitted PBS job" in log
    assert "PBS server not answering since" in log and "PBS server answering again after" in log
