"""A rerun adopts the Slurm tasks that an earlier run of the same experiment left behind.

When the driver dies (kill -9), its Snakemake leaves the run's Slurm jobs alone
(``Executor.cancel_jobs``): they go on and finish. Running the same command again, Snakemake
hands the executor those jobs once more (their ``done`` markers are missing or marked
incomplete). Before it submits a runner job, the executor looks up the job's latest task in
``<experiment>/.cluster_utils/slurm_arrays.jsonl``, asks sacct about all of them in one call, and

- a job whose ``state.json`` says it finished (``cluster_utils.scheduler.adoption``, the rule the
  runner and every executor plugin share; e.g. it finished while no driver was watching) gets its
  ``done`` marker back and is registered as done without asking sacct or spending a Slurm job;
- a task of another run that is still pending, running or requeued is **adopted**: the job is
  registered under that task, not submitted again, and followed like the run's own tasks;
- anything else (failed, cancelled, unknown to sacct) is submitted as usual.

The arrays file is read once per experiment and run; sacct is asked only about the earlier tasks
of the jobs being submitted, so the batches of an hp_optimization (new jobs each) cost nothing.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from cluster_utils.scheduler import arrays
from cluster_utils.scheduler.earlier_runs import EarlierTask

from . import _arrays, _status

__all__ = ["EarlierTask", "latest_tasks", "with_status"]


def latest_tasks(experiment: Path, current_run: str) -> dict[str, EarlierTask]:
    """Job -> its latest task, for jobs whose latest task belongs to another run."""
    recorded = arrays.latest_tasks(experiment, _arrays.ARRAYS_FILE, current_run)
    return {
        job: EarlierTask(job, _arrays.task_external_id(task.array_id, task.index), task.run)
        for job, task in recorded.items()
    }


def sacct_tasks_command(array_ids: Iterable[str]) -> list[str]:
    """One sacct for the given arrays (with ``-j`` sacct looks back without a time limit)."""
    return [
        "sacct",
        "-X",
        "--parsable2",
        "--noheader",
        f"--format={','.join(_status.SACCT_FIELDS)}",
        "-j",
        ",".join(sorted(set(array_ids))),
    ]


def query_tasks(array_ids: Iterable[str]) -> dict[str, _status.JobStatus] | None:
    ids = list(array_ids)
    if not ids:
        return {}
    try:
        proc = subprocess.run(
            sacct_tasks_command(ids), capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return _status.parse_sacct(proc.stdout) if proc.returncode == 0 else None


def with_status(tasks: list[EarlierTask]) -> list[EarlierTask] | None:
    """``tasks`` with their status from one sacct call; None when sacct cannot be asked."""
    statuses = query_tasks(task.task.split("_")[0] for task in tasks)
    if statuses is None:
        return None
    return [replace(task, status=statuses.get(task.task)) for task in tasks]
