"""What a failed HTCondor job means for the cluster_utils job it ran.

The plugin reports an HTCondor job's failure in HTCondor's terms ("completed but failed with
ExitCode 1", "was removed", "held for ..."). For a cluster_utils runner job (rule ``run_job``,
output ``<experiment>/jobs/<id>/done``) the message is extended with the runner's reason and the
tail of the job's stderr. When the runner never recorded an outcome -- the job was removed as
unmatched, held too long, killed, or failed before the runner started -- HTCondor's reason is
recorded as the job's failure in its ``state.json``, so that the run's summary and
``failures.csv`` name it too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cluster_utils.runner.scheduler_failures import record_scheduler_failure
from cluster_utils.scheduler.adoption import runner_job

#: Lines of stderr shown in Snakemake's error message.
TAIL_LINES = 10


def record_failure(experiment: Path, job_id: int, htcondor_reason: str) -> tuple[str, str]:
    return record_scheduler_failure(experiment, job_id, htcondor_reason)


def failure_message(job: Any, htcondor_message: str) -> str:
    """Snakemake's error message for a failed job: the cluster_utils reason and stderr tail
    first (for runner jobs), then HTCondor's message."""
    found = runner_job(job)
    if found is None:
        return htcondor_message
    experiment, job_id = found
    htcondor_reason = htcondor_message.strip()
    if not htcondor_reason.startswith("HTCondor"):
        htcondor_reason = f"HTCondor: {htcondor_reason}"
    reason, tail = record_failure(experiment, job_id, htcondor_reason)
    stderr_log = experiment / "jobs" / str(job_id) / "stderr.log"
    htcondor_line = "" if reason.startswith("HTCondor") else f"    HTCondor: {htcondor_message}\n"
    if not stderr_log.exists():  # the job never started (e.g. unmatched, removed while idle)
        return f"cluster_utils job {job_id} failed: {reason}\n{htcondor_line}"
    shown = "\n".join(f"        {line}" for line in tail.splitlines()[-TAIL_LINES:])
    return (
        f"cluster_utils job {job_id} failed: {reason}\n"
        f"{htcondor_line}"
        f"    last lines of its stderr ({stderr_log}):\n"
        f"{shown or '        (empty)'}\n"
    )
