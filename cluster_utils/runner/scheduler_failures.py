"""Failures only the scheduler saw: the job was killed before its runner could record them.

Slurm (time limit, memory, cancel, node failure) or HTCondor (unmatched, held, removed) may end
a job so abruptly that its runner never writes an outcome. The executors then record the
scheduler's reason as the job's, so `failures.csv`, `cluster-utils status` and reruns see it.
"""

from __future__ import annotations

import time
from pathlib import Path

from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.runner.job_runner import read_tail


def record_scheduler_failure(
    experiment: Path, job_id: int, scheduler_reason: str
) -> tuple[str, str]:
    """The job's failure reason and stderr tail. If its runner recorded no outcome, the
    scheduler's reason becomes the job's (state.json, status marker, cluster_run.log)."""
    layout = ExperimentLayout.at(experiment)
    tail = read_tail(layout.stderr_file(job_id))
    try:
        state = job_state.load_state(layout, job_id)
        if state.status == job_state.FAILED and state.reason:
            return state.reason, state.stderr_tail or tail
        if state.status in (job_state.SUCCEEDED, job_state.STOPPED_EARLY):
            return scheduler_reason, tail
        if state.attempts and state.attempts[-1].end is None:
            state.attempts[-1].end = time.time()
        state.status = job_state.FAILED
        state.reason = scheduler_reason
        state.return_code = None
        state.stderr_tail = tail
        job_state.save_state(layout, state)
        job_state.log_line(
            layout, f"Job {job_id} failed: {scheduler_reason}. Considering job failed.", "WARNING"
        )
    except (OSError, ValueError, TypeError) as exc:
        return f"{scheduler_reason} (could not record it: {exc})", tail
    return scheduler_reason, tail


def scheduler_failure_message(
    experiment: Path, job_id: int, scheduler: str, scheduler_reason: str
) -> str:
    """Record a failure the scheduler saw (:func:`record_scheduler_failure`) and say it as the
    executors' error message: the runner's reason, the scheduler's words and the stderr tail."""
    reason, tail = record_scheduler_failure(experiment, job_id, scheduler_reason)
    shown = "\n".join(f"        {line}" for line in tail.splitlines()[-10:])
    return (
        f"cluster_utils job {job_id} failed: {reason}\n"
        f"    {scheduler}: {scheduler_reason}\n"
        f"    last lines of its stderr ({experiment / 'jobs' / str(job_id)}/stderr.log):\n"
        f"{shown or '        (empty)'}\n"
    )
