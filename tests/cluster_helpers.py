"""What the real-cluster tests of the array plugins (Slurm, PBS) share: the grid config they run,
the CLI's short polling, the record of one grid run, and waiting for a driver that was started in
the background. Each cluster's helpers (``tests/slurm/slurm_helpers.py``,
``tests/pbs/pbs_helpers.py``) add how their scheduler is asked."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.helpers import write_config


def fast_polling(executor: str, max_seconds_between_checks: str, batch_seconds: str) -> list[str]:
    """Snakemake arguments for short polling in tests (the profiles' values suit real clusters);
    ``executor`` is the plugin's settings prefix (``cluster-utils-slurm``)."""
    return [
        f"--{executor}-init-seconds-before-status-checks",
        "1",
        f"--{executor}-max-seconds-between-status-checks",
        max_seconds_between_checks,
        "--seconds-between-status-checks",
        "1",
        f"--{executor}-batch-seconds",
        batch_seconds,
        "--latency-wait",
        "5",
    ]


#: a job script for the lifecycle tests: appends RECORD (a JSON-able expression) to runs/<mode>;
#: modes: ok*, fail, resume (exit_for_resume twice), timeout (runs past request_time), slow<N>
#: (N seconds, default 10); fail and timeout behave once the file `fixed` exists; then FINISH
_LIFECYCLE_TEMPLATE = """
import json, os, sys, time
from pathlib import Path
from cluster_utils import initialize_job, finalize_job, exit_for_resume

params = initialize_job()
here = Path(__file__).resolve().parent
fixed = (here / "fixed").exists()
runs = here / "runs"
runs.mkdir(exist_ok=True)
with open(runs / str(params.mode), "a") as f:
    f.write(json.dumps(RECORD) + "\\n")
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
if params.mode.startswith("slow"):
    time.sleep(float(params.mode[4:] or 10))
FINISH
"""


def lifecycle_script(record: str, finish: str) -> str:
    """The lifecycle tests' job script (see ``_LIFECYCLE_TEMPLATE``): ``record`` is what each
    start appends to ``runs/<mode>`` (a Python expression), ``finish`` its last lines."""
    return _LIFECYCLE_TEMPLATE.replace("RECORD", record).replace("FINISH", finish)


def write_grid(
    workdir: Path, name: str, script: str, hyperparam_list: list[dict[str, Any]], **settings: Any
) -> Path:
    """A grid config ``<workdir>/<name>.yaml`` of small jobs (1 CPU, 200 MB, 5 minutes); the
    ``cluster_requirements`` in ``settings`` are added to those."""
    requirements = {"request_cpus": 1, "memory_in_mb": 200, "request_time": "5"}
    requirements.update(settings.pop("cluster_requirements", {}))
    config = {"cluster_requirements": requirements, "hyperparam_list": hyperparam_list, **settings}
    return write_config(workdir / f"{name}.yaml", name, script=script, **config)


@dataclass
class ClusterGridRun:
    """One grid run through a cluster profile: its experiment, exit code and output."""

    #: the executor's record of its arrays in <experiment>/.cluster_utils
    arrays_file: ClassVar[str]

    experiment: Path
    returncode: int
    output: str

    @property
    def snakemake_log(self) -> str:
        return (self.experiment / ".cluster_utils" / "snakemake.log").read_text(errors="replace")

    def arrays(self) -> list[dict[str, Any]]:
        path = self.experiment / ".cluster_utils" / self.arrays_file
        return [json.loads(line) for line in path.read_text().splitlines()]

    def state(self, job_id: int | str) -> dict[str, Any]:
        return json.loads((self.experiment / "jobs" / str(job_id) / "state.json").read_text())

    def job_ids_by(self, key: str) -> dict[Any, int]:
        """Parameter value -> job id, from each job's params.json."""
        ids = {}
        for params in (self.experiment / "jobs").glob("*/params.json"):
            ids[json.loads(params.read_text())[key]] = int(params.parent.name)
        return ids

    def done_jobs(self) -> set[str]:
        """The ids of the jobs whose ``done`` marker exists."""
        return {p.parent.name for p in (self.experiment / "jobs").glob("*/done")}


def child_pids(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def start_driver(
    argv: list[str], workdir: Path, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """Start a driver (e.g. the grid-search command) in the background, its output in ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )


def wait_for(
    condition: Callable[[], bool],
    seconds: float,
    what: str,
    run: ClusterGridRun,
    driver_log: Path,
    scheduler_view: Callable[[], str],
) -> None:
    """Wait until ``condition()`` holds; after ``seconds`` fail with what the scheduler shows
    (``scheduler_view``, e.g. its queue), the driver's output and the Snakemake log."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            log = run.experiment / ".cluster_utils" / "snakemake.log"
            pytest.fail(
                f"timed out after {seconds} s waiting for {what}; {scheduler_view()}"
                f"driver:\n{driver_log.read_text()[-2000:]}\n"
                + (f"Snakemake:\n{log.read_text()[-3000:]}" if log.exists() else "")
            )
        time.sleep(0.5)
