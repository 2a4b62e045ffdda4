"""kill -9 of ``cluster-utils grid-search --profile htcondor`` in the middle of a run on the
localhost pool, then the same command again: the HTCondor jobs the killed run left in the pool
keep running and are adopted (not submitted twice), also after a crash of the rerun; a finished
job whose done marker is lost is neither run nor submitted again; every job's script runs
exactly once, in the HTCondor job the first run submitted for it, and ``all_data.csv`` has one
row per job.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
import yaml

from tests.htcondor.conftest import write_test_profile
from tests.htcondor.test_htcondor_grid import (
    BASE_REQUIREMENTS,
    GridRun,
    cli,
    job_id_in_args,
    write_grid,
)

if TYPE_CHECKING:
    from tests.htcondor.conftest import Pool

pytestmark = [pytest.mark.htcondor, pytest.mark.slow]

MODES = [f"a{i}" for i in range(6)]
#: the pool has 8 slots; the concurrency limit keeps 2 jobs running and the rest idle
CONCURRENCY = 2
SLEEP = 5


def _wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.3)
    return result


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _descendants(pid: int) -> Iterator[int]:
    for child in _children(pid):
        yield child
        yield from _descendants(child)


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _driver_and_snakemake(wrapper_pid: int) -> tuple[int, int] | None:
    """The ``cluster-utils grid-search`` process started through htcondor-run.sh, and its
    Snakemake child."""
    for pid in _descendants(wrapper_pid):
        argv = _cmdline(pid)
        # python .../bin/cluster-utils grid-search ... (not runuser, whose arguments name it too)
        if argv[1:3] and argv[1].endswith("/cluster-utils") and argv[2] == "grid-search":
            snakemake = [c for c in _children(pid) if "snakemake" in _cmdline(c)]
            return (pid, snakemake[0]) if snakemake else None
    return None


def _succeeded(run: GridRun) -> set[int]:
    found = set()
    for path in (run.experiment / "jobs").glob("*/state.json"):
        try:
            if json.loads(path.read_text())["status"] == "succeeded":
                found.add(int(path.parent.name))
        except (OSError, ValueError, KeyError):
            continue
    return found


def _condor_jobs(pool: Pool, workdir: Path, command: str, iwd: Path) -> list[dict[str, Any]]:
    """condor_q or condor_history: the HTCondor jobs that ran (run) in ``iwd``."""
    result = pool.run(
        workdir,
        command,
        "-constraint",
        f'Iwd == "{iwd}"',
        "-json",
        "-attributes",
        "ClusterId,JobStatus,ExitCode,Args,NumJobStarts,RemoveReason",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else []


def test_kill_9_of_the_driver_then_rerun_adopts_the_jobs_left_in_the_pool(
    htcondor_pool: Pool, tmp_path: Path
) -> None:
    workdir = tmp_path / "adopt"
    write_grid(
        workdir,
        "adopt",
        MODES,
        fixed_params={"sleep": SLEEP},
        cluster_requirements={
            **BASE_REQUIREMENTS,
            "concurrency_limit_tag": "cu_adopt",
            "concurrency_limit": CONCURRENCY,
        },
    )
    command = cli("--profile", str(write_test_profile(workdir)))
    run = GridRun(workdir, "adopt", subprocess.CompletedProcess([], 0, "", ""), 0.0)
    # keeps the directory mounted in the pool's root while no driver runs (the jobs use it)
    holder = htcondor_pool.start(workdir, "sleep", "900")
    try:
        _kill_driver_then_rerun(htcondor_pool, workdir, run, command)
    finally:
        holder.terminate()
        holder.communicate(timeout=60)


class Runs:
    """The runs of one grid, each with its own part of the experiment's snakemake.log."""

    def __init__(self, pool: Pool, workdir: Path, command: list[str]) -> None:
        self.pool, self.workdir, self.command = pool, workdir, command
        self.grid = GridRun(workdir, "adopt", subprocess.CompletedProcess([], 0, "", ""), 0.0)
        self._log = self.grid.experiment / ".cluster_utils" / "snakemake.log"
        self._offset = 0

    def start(self) -> subprocess.Popen[str]:
        self._offset = self._log.stat().st_size if self._log.exists() else 0
        return self.pool.start(self.workdir, *self.command)

    def log(self) -> str:
        """The snakemake.log of the latest run."""
        return self._log.read_bytes()[self._offset :].decode() if self._log.exists() else ""

    def queued(self) -> list[dict[str, Any]]:
        return _condor_jobs(self.pool, self.workdir, "condor_q", self.grid.experiment)

    def kill(self, proc: subprocess.Popen[str], *pids: int) -> None:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        proc.communicate(timeout=60)


def _kill_driver_then_rerun(pool: Pool, workdir: Path, run: GridRun, command: list[str]) -> None:
    runs = Runs(pool, workdir, command)
    # 1. kill -9 of the driver once 2 jobs finished: its Snakemake ends, the jobs stay
    first = runs.start()
    driver, snakemake = _wait_for(lambda: _driver_and_snakemake(first.pid), 60, "the driver")
    _wait_for(lambda: len(_succeeded(run)) >= 2, 120, "2 finished jobs")
    runs.kill(first, driver)
    _wait_for(lambda: not _alive(snakemake), 60, "the killed run's Snakemake to end")
    assert "the process that started this run is gone" in runs.log(), runs.log()[-3000:]
    assert any(j["JobStatus"] == 1 for j in runs.queued()), "no idle job left to adopt"

    # 2. the same command adopts them; then it dies at once with its Snakemake (a crash:
    # nothing is cleaned up), and a job finishes while no run watches
    second = runs.start()
    driver, snakemake = _wait_for(lambda: _driver_and_snakemake(second.pid), 60, "the driver")
    _wait_for(lambda: "adopted from an earlier run" in runs.log(), 60, "adoption")
    runs.kill(second, snakemake, driver)
    assert "still in the pool as HTCondor job" in runs.log()
    assert "submitted to HTCondor Cluster ID" not in runs.log(), runs.log()[-3000:]
    running = {int(j["ClusterId"]) for j in runs.queued()}
    done = _succeeded(run)
    _wait_for(lambda: len(_succeeded(run)) > len(done), 60, "a job finishing unwatched")
    left = "the finished job to leave the queue"
    _wait_for(lambda: len({int(j["ClusterId"]) for j in runs.queued()}) < len(running), 30, left)
    # its done marker is lost (deleted by hand): Snakemake wants to run it again
    lost = min(_succeeded(run) - done)
    (run.experiment / "jobs" / str(lost) / "done").unlink()

    # 3. the same command again: the rest is adopted, the finished job is not submitted again
    third = pool.finish(runs.start(), timeout=300)
    output = third.stdout + third.stderr
    assert third.returncode == 0, output[-3000:] + runs.log()[-3000:]
    assert "6 succeeded, 0 failed, 0 not finished (of 6 jobs)" in output
    log = runs.log()
    assert f"job {lost} already finished (its state.json says so); not submitted again" in log
    assert "submitted to HTCondor Cluster ID" not in log, log[-3000:]
    _assert_each_job_ran_once_in_its_first_htcondor_job(pool, workdir, run)


def _assert_each_job_ran_once_in_its_first_htcondor_job(
    pool: Pool, workdir: Path, run: GridRun
) -> None:
    # every job's script ran exactly once
    runs = {mode: run.runs(mode) for mode in MODES}
    assert {mode: len(lines) for mode, lines in runs.items()} == dict.fromkeys(MODES, 1), runs
    # one HTCondor job per grid job, each completed, none left in the queue
    assert _condor_jobs(pool, workdir, "condor_q", run.experiment) == []
    records = _condor_jobs(pool, workdir, "condor_history", run.experiment)
    submissions = Counter(job_id_in_args(r) for r in records)
    assert submissions == dict.fromkeys(range(len(MODES)), 1), records
    assert all((r["JobStatus"], r["ExitCode"]) == (4, 0) for r in records), records
    # jobs do not wait for the driver's temporary directory (a killed driver's is gone)
    assert not any(".snakemake/tmp." in r["Args"] for r in records), records
    # each job ran in the HTCondor job the first run submitted for it
    by_job = {job_id_in_args(r): int(r["ClusterId"]) for r in records}
    ids = run.job_ids_by_mode()
    assert {m: runs[m][0]["cluster"] for m in MODES} == {m: by_job[ids[m]] for m in MODES}
    # one row per job (read by column name: all_data.csv may start with an index column)
    data = pd.read_csv(run.experiment / "all_data.csv")
    assert sorted(data["_id"]) == list(range(len(MODES))), data
    assert sorted(data["mode"]) == MODES


def test_a_job_failed_for_being_held_leaves_the_queue(htcondor_pool: Pool, tmp_path: Path) -> None:
    """A job held for another reason than exit_for_resume fails after held-timeout and is
    removed, so that no later run adopts it."""
    workdir = tmp_path / "held"
    hold_while_idle = {"periodic_hold": "JobStatus == 1", "periodic_hold_reason": '"test hold"'}
    write_grid(
        workdir,
        "held",
        ["ok"],
        cluster_requirements={**BASE_REQUIREMENTS, "extra_submission_options": hold_while_idle},
    )
    profile = write_test_profile(workdir)
    settings = yaml.safe_load((profile / "config.yaml").read_text())
    settings["cluster-utils-htcondor-held-timeout"] = 0
    (profile / "config.yaml").write_text(yaml.safe_dump(settings))
    result = htcondor_pool.run(workdir, *cli("--profile", str(profile)), timeout=180)
    output = result.stdout + result.stderr
    assert "0 succeeded, 1 failed, 0 not finished (of 1 jobs)" in output, output[-3000:]
    assert "test hold" in output
    experiment = workdir / "results" / "held"
    assert _condor_jobs(htcondor_pool, workdir, "condor_q", experiment) == []
    (record,) = _condor_jobs(htcondor_pool, workdir, "condor_history", experiment)
    assert record["JobStatus"] == 3  # removed
    assert "held longer than held-timeout" in record["RemoveReason"]
