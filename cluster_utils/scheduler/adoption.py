"""The part of adopting an earlier run's jobs that does not depend on the scheduler.

When a driver dies (kill -9), its Snakemake leaves the run's cluster jobs alone; running the same
command again, Snakemake hands the executor every runner job whose ``done`` marker is missing.
Before it submits one, an executor plugin

1. finds the cluster_utils job the Snakemake job runs (:func:`runner_job`);
2. if that job is finished (:func:`already_finished`, the runner's own rule), restores its
   ``done`` marker (:func:`restore_done_marker`) and registers it under :func:`finished_id`
   instead of a scheduler job; its status check reports it done at once (:func:`is_finished_id`);
3. otherwise asks its scheduler for a job of an earlier run that is still queued or running
   (plugin specific) and follows that one, or submits the job as usual.

:class:`AdoptionCounts` keeps the figures for the end-of-run line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout

#: the workflow's per-job rule (workflow/rules/jobs.smk)
RUNNER_RULE = "run_job"
#: the external id under which a job that already finished is registered (no scheduler job)
FINISHED_PREFIX = "already-finished:"


def runner_job(job: Any) -> tuple[Path, int] | None:
    """``(experiment_dir, job_id)`` if this Snakemake job runs one cluster_utils job (rule
    ``run_job``, output ``<experiment>/jobs/<id>/done``), else None."""
    try:
        if getattr(job, "is_group", lambda: False)() or job.name != RUNNER_RULE:
            return None
        job_id = str(job.wildcards.get("job_id", ""))
        if not job_id.isdigit():
            return None
        done = Path(str(job.output[0]))
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
    if done.name != "done" or done.parent.name != job_id or done.parent.parent.name != "jobs":
        return None
    experiment = done.parent.parent.parent
    if not (experiment / ".cluster_utils").is_dir():
        return None
    return experiment, int(job_id)


def already_finished(experiment: Path, job_id: int) -> bool:
    """Whether the job finished in an earlier run, so that its runner would not run it again
    (``job_state.is_finished``)."""
    return job_state.job_is_finished(ExperimentLayout.at(experiment), job_id)


def restore_done_marker(job: Any) -> None:
    """Touch the job's outputs (its ``done`` marker): the runner wrote it, Snakemake removed it
    as incomplete when the earlier run died."""
    for output in job.output:
        path = Path(str(output))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def finished_id(job_id: int) -> str:
    return f"{FINISHED_PREFIX}{job_id}"


def is_finished_id(external_id: object) -> bool:
    return isinstance(external_id, str) and external_id.startswith(FINISHED_PREFIX)


@dataclass
class AdoptionCounts:
    """Jobs of earlier runs a rerun took over instead of submitting them."""

    #: still queued or running in the scheduler, followed like this run's own
    adopted: int = 0
    #: finished before this run (state.json), registered without a scheduler job
    already_finished: int = 0

    def summary(self, scheduler: str) -> str | None:
        """The end-of-run line, or None when there was nothing to adopt."""
        if not self.adopted and not self.already_finished:
            return None
        return (
            f"cluster_utils: jobs of earlier runs: {self.adopted} adopted (still in "
            f"{scheduler}), {self.already_finished} already finished; none of them submitted again"
        )
