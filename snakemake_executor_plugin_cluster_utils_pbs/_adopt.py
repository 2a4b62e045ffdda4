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

import json
from dataclasses import dataclass, replace
from pathlib import Path

from . import _arrays, _status


@dataclass(frozen=True)
class EarlierTask:
    """The latest PBS subjob a job went out as in an earlier run, and what became of it."""

    job: str  #: the runner call's job argument (the job id)
    task: str  #: the subjob's (or plain job's) PBS id
    run: str  #: the earlier run's UUID
    status: _status.JobStatus | None = None

    @property
    def still_in_pbs(self) -> bool:
        return self.status is not None and self.status.active


def latest_tasks(experiment: Path, current_run: str) -> dict[str, EarlierTask]:
    """Job -> its latest subjob, for jobs whose latest subjob belongs to another run."""
    path = Path(experiment) / ".cluster_utils" / _arrays.ARRAYS_FILE
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    latest: dict[str, EarlierTask] = {}
    for line in lines:
        try:
            record = json.loads(line)
            array, run, jobs = str(record["array_job_id"]), str(record["run"]), record["tasks"]
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a killed driver
        for index, job in enumerate(jobs):
            if job is not None:
                latest[str(job)] = EarlierTask(str(job), _arrays.subjob_id(array, index), run)
    return {job: task for job, task in latest.items() if task.run != current_run}


def with_status(tasks: list[EarlierTask]) -> list[EarlierTask] | None:
    """``tasks`` with their status from one qstat call; None when the server cannot be asked."""
    statuses = _status.query(_arrays.parent_of(task.task) for task in tasks)
    if statuses is None:
        return None
    return [replace(task, status=statuses.get(task.task)) for task in tasks]
