"""Helpers of the real-cluster tests: run grids through profiles/slurm and read sacct; what the PBS
tests use too is in ``tests.cluster_helpers``."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from tests.cluster_helpers import ClusterGridRun, fast_polling, lifecycle_script
from tests.cluster_helpers import write_grid as write_grid  # the cluster tests import it from here

#: short polling for tests (the profile's values suit real clusters)
FAST_POLLING = fast_polling("cluster-utils-slurm", "3", "0.5")

#: records the Slurm task it ran in (tests.cluster_helpers.lifecycle_script)
LIFECYCLE_SCRIPT = lifecycle_script(
    """{
        "task": f"{os.environ.get('SLURM_ARRAY_JOB_ID')}_{os.environ.get('SLURM_ARRAY_TASK_ID')}",
        "job": os.environ.get("SLURM_JOB_ID"),
        "t": time.time(),
    }""",
    """\
array, index = int(os.environ["SLURM_ARRAY_JOB_ID"]), int(os.environ["SLURM_ARRAY_TASK_ID"])
finalize_job({"y": 1, "array": array, "task": index}, params)""",
)


def cli_command(config: Path, *snakemake_args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cluster_utils.cli.main",
        "grid-search",
        str(config),
        "--profile",
        "slurm",
        "--snakemake-args",
        *FAST_POLLING,
        *snakemake_args,
    ]


class GridRun(ClusterGridRun):
    arrays_file = "slurm_arrays.jsonl"

    def tasks_of(self, job_id: int) -> list[str]:
        """The Slurm array tasks (``<array>_<index>``) a job was submitted as, oldest first."""
        return [
            f"{record['array_job_id']}_{index}"
            for record in self.arrays()
            for index, task in enumerate(record["tasks"])
            if task == str(job_id)
        ]

    def task_of(self, job_id: int, which: int = -1) -> str:
        """The Slurm array task of a job's latest (or ``which``) submission."""
        tasks = self.tasks_of(job_id)
        assert tasks, f"job {job_id} was never submitted"
        return tasks[which]


def executor_counts(log: str) -> tuple[int, int, int, int]:
    """(sbatch calls, array tasks, status queries, status cycles) the executor reported last."""
    found = re.findall(
        r"cluster_utils: (\d+) sbatch calls \((\d+) array tasks\), (\d+) status queries in "
        r"(\d+) status cycles",
        log,
    )
    assert found, "the executor's summary line is missing from the Snakemake log"
    sbatch, tasks, queries, cycles = (int(v) for v in found[-1])
    return sbatch, tasks, queries, cycles


#: states a finished job's accounting record passes through before it settles
UNSETTLED_STATES = {"PENDING", "RUNNING", "COMPLETING", "CONFIGURING"}


def sacct(
    *args: str,
    fields: str = "JobID,JobName%60,State,ExitCode",
    settle_seconds: float = 30,
    expect: int = 1,
) -> list[dict[str, str]]:
    """sacct's records, once at least ``expect`` are there and all have settled: a run ends as
    soon as its runners have recorded their outcomes, which can be before slurmdbd has the jobs'
    final records."""
    names = [f.split("%")[0] for f in fields.split(",")]
    since = [] if "--starttime" in args else ["--starttime", "now-3hours"]
    deadline = time.monotonic() + settle_seconds
    while True:
        out = subprocess.run(
            ["sacct", "-X", "-n", "-P", "-o", fields, *since, *args],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        records = [
            dict(zip(names, line.split("|"), strict=False)) for line in out.splitlines() if line
        ]
        settled = len(records) >= expect and all(
            (r.get("State") or "?").split()[0] not in UNSETTLED_STATES for r in records
        )
        if settled or time.monotonic() > deadline:
            return records
        time.sleep(0.5)


def task_states(task: str) -> list[str]:
    """Every record of one array task (-D: each requeue too), oldest first."""
    return [r["State"].split()[0] for r in sacct("-D", "-j", task, fields="JobID,State")]


def run_uuid(log: str) -> str:
    match = re.findall(r"SLURM run ID: (\S+)", log)
    assert match, "no SLURM run ID in the log"
    return match[-1]


#: sacct's times are whole seconds, and a task's End comes after its runner recorded the end
#: (which frees its place under the cap): on a loaded machine up to a second or so later
END_LAG = timedelta(seconds=2)


def assert_at_most_in_slurm(cap: int, arrays: list[dict], records: list[dict[str, str]]) -> None:
    """Never more than ``cap`` of a run's tasks queued or running: when an array was submitted,
    the run's earlier tasks still unfinished (ending more than :data:`END_LAG` after it) and the
    new ones fit under the cap. ``records``: sacct's JobID, Submit and End of every task of the
    run."""
    for array in arrays[1:]:
        submitted = [r for r in records if r["JobID"].startswith(array["array_job_id"] + "_")]
        at = min(datetime.fromisoformat(r["Submit"]) for r in submitted)
        unfinished = [
            r
            for r in records
            if r not in submitted
            and datetime.fromisoformat(r["Submit"]) < at
            and datetime.fromisoformat(r["End"]) > at + END_LAG
        ]
        assert len(unfinished) + len(array["tasks"]) <= cap, (array, unfinished)
