"""A rerun adopts the PBS jobs that an earlier run of the same experiment left behind.

When the driver dies (kill -9), its Snakemake leaves the run's PBS jobs alone
(``Executor.cancel_jobs``): they go on and finish. Running the same command again, Snakemake hands
the executor those jobs once more. Before it submits a runner job, the executor looks up the
job's latest subjob in ``<experiment>/.cluster_utils/pbs_arrays.jsonl``, asks qstat about all of
them in one call, and

- a job whose ``state.json`` says it finished (``cluster_utils.scheduler.adoption``, the rule the
  runner and every executor plugin share; e.g. it finished while no driver was watching) gets its
  ``done`` marker back and is registered as done without asking qstat or spending a PBS job;
- a subjob of another run that is still queued, running or held is **adopted**: the job is
  registered under it, not submitted again, and followed like the run's own;
- anything else (failed, deleted, unknown to PBS) is submitted as usual.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cluster_utils.scheduler import arrays
from cluster_utils.scheduler.earlier_runs import EarlierTask

from . import _arrays, _status

__all__ = ["EarlierTask", "latest_tasks", "with_status"]


def latest_tasks(experiment: Path, current_run: str) -> dict[str, EarlierTask]:
    """Job -> its latest subjob, for jobs whose latest subjob belongs to another run."""
    recorded = arrays.latest_tasks(experiment, _arrays.ARRAYS_FILE, current_run)
    return {
        job: EarlierTask(job, _arrays.subjob_id(task.array_id, task.index), task.run)
        for job, task in recorded.items()
    }


def with_status(tasks: list[EarlierTask]) -> list[EarlierTask] | None:
    """``tasks`` with their status from one qstat call; None when the server cannot be asked."""
    statuses = _status.query(_arrays.parent_of(task.task) for task in tasks)
    if statuses is None:
        return None
    return [replace(task, status=statuses.get(task.task)) for task in tasks]
