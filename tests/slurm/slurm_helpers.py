"""Helpers of the real-cluster tests: run grids through profiles/slurm and read sacct."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers import write_config

#: short polling for tests (the profile's values suit real clusters)
FAST_POLLING = [
    "--cluster-utils-slurm-init-seconds-before-status-checks",
    "1",
    "--cluster-utils-slurm-max-seconds-between-status-checks",
    "3",
    "--seconds-between-status-checks",
    "1",
    "--cluster-utils-slurm-batch-seconds",
    "0.5",
    "--latency-wait",
    "5",
]

#: records the Slurm task it ran in; modes: ok*, fail, resume (exit_for_resume twice),
#: timeout (runs past request_time); fail and timeout behave once the file `fixed` exists
LIFECYCLE_SCRIPT = """
import json, os, sys, time
from pathlib import Path
from cluster_utils import initialize_job, finalize_job, exit_for_resume

params = initialize_job()
here = Path(__file__).resolve().parent
fixed = (here / "fixed").exists()
task = f"{os.environ.get('SLURM_ARRAY_JOB_ID')}_{os.environ.get('SLURM_ARRAY_TASK_ID')}"
runs = here / "runs"
runs.mkdir(exist_ok=True)
with open(runs / str(params.mode), "a") as f:
    record = {"task": task, "job": os.environ.get("SLURM_JOB_ID"), "t": time.time()}
    f.write(json.dumps(record) + "\\n")
if params.mode == "fail" and not fixed:
    print("something went wrong in the job", file=sys.stderr)
    sys.exit(1)
if params.mode == "timeout" and not fixed:
    print("working longer than request_time allows", file=sys.stderr, flush=True)
    time.sleep(600)
if params.mode == "resume":
    counter = Path(params.working_dir) / "resumes"
    done = int(counter.read_text()) if counter.exists() else 0
    if done < 2:
        counter.write_text(str(done + 1))
        exit_for_resume()
array, index = int(os.environ["SLURM_ARRAY_JOB_ID"]), int(os.environ["SLURM_ARRAY_TASK_ID"])
finalize_job({"y": 1, "array": array, "task": index}, params)
"""


def write_grid(
    workdir: Path, name: str, script: str, hyperparam_list: list[dict[str, Any]], **settings: Any
) -> Path:
    config = {
        "cluster_requirements": {"request_cpus": 1, "memory_in_mb": 200, "request_time": "5"},
        "hyperparam_list": hyperparam_list,
        **settings,
    }
    return write_config(workdir / f"{name}.yaml", name, script=script, **config)


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


@dataclass
class GridRun:
    experiment: Path
    returncode: int
    output: str

    @property
    def snakemake_log(self) -> str:
        return (self.experiment / ".cluster_utils" / "snakemake.log").read_text(errors="replace")

    def arrays(self) -> list[dict[str, Any]]:
        path = self.experiment / ".cluster_utils" / "slurm_arrays.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]

    def state(self, job_id: int | str) -> dict[str, Any]:
        return json.loads((self.experiment / "jobs" / str(job_id) / "state.json").read_text())

    def job_ids_by(self, key: str) -> dict[Any, int]:
        """Parameter value -> job id, from each job's params.json."""
        ids = {}
        for params in (self.experiment / "jobs").glob("*/params.json"):
            ids[json.loads(params.read_text())[key]] = int(params.parent.name)
        return ids

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
