"""A rerun adopts the HTCondor jobs that an earlier run of the same experiment left in the pool.

When the driver dies (kill -9), its Snakemake leaves the run's HTCondor jobs alone
(``Executor.cancel_jobs``): they go on, idle or running, and finish. Running the same command
again, Snakemake hands the executor the jobs whose ``done`` marker is missing. Every runner job
goes to HTCondor with two attributes in its job ad, ``ClusterUtilsExperiment`` (the experiment
directory) and ``ClusterUtilsJobId`` (the job id), so before it submits a runner job the executor
asks ``condor_q`` (once per run and experiment) for this experiment's jobs still in the queue, and

- a job still in the queue (idle, running, held, transferring output, suspended) is **adopted**:
  the job is registered under that HTCondor job, not submitted again, and followed like the run's
  own (of several -- duplicates left by an older version -- the newest is kept and the others
  are removed);
- a job whose ``state.json`` says it finished (so that its runner would not run it again, e.g.
  its ``done`` marker was lost) gets its ``done`` marker back and is reported as done, without an
  HTCondor job (``cluster_utils.scheduler.adoption``, shared by the executor plugins);
- anything else (failed, removed, never submitted) is submitted as usual.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluster_utils.scheduler.adoption import already_finished

#: job ad attributes of every runner job: which experiment and job it runs
EXPERIMENT_ATTRIBUTE = "ClusterUtilsExperiment"
JOB_ID_ATTRIBUTE = "ClusterUtilsJobId"
#: HTCondor's JobStatus of jobs still in the queue that will (or may) run or finish
ACTIVE_STATUSES = {1: "idle", 2: "running", 5: "held", 6: "transferring output", 7: "suspended"}
_QUERY_ATTRIBUTES = ("ClusterId", "ProcId", "JobStatus", JOB_ID_ATTRIBUTE, "UserLog", "Iwd")


def experiment_key(experiment: Path) -> str:
    """The experiment directory as job ads record it: absolute, symlinks resolved, and ``%``,
    ``"`` and ``\\`` percent-encoded (the submit language and ``condor_q -constraint`` escape
    backslashes differently in strings)."""
    path = os.path.realpath(experiment)
    return path.replace("%", "%25").replace('"', "%22").replace("\\", "%5C")


def submit_attributes(experiment: Path, job_id: int) -> dict[str, str]:
    """The submit commands that tag a runner job with its experiment and job id."""
    return {
        f"+{EXPERIMENT_ATTRIBUTE}": f'"{experiment_key(experiment)}"',
        f"+{JOB_ID_ATTRIBUTE}": str(int(job_id)),
    }


@dataclass(frozen=True)
class QueuedJob:
    """An HTCondor job of an earlier run, still in the queue."""

    cluster_id: int
    job_id: int
    status: int
    #: the job event log it writes to (absolute), if known
    user_log: str | None = None

    @property
    def status_name(self) -> str:
        return ACTIVE_STATUSES.get(self.status, f"JobStatus {self.status}")


def queue_command(experiment: Path) -> list[str]:
    """``condor_q`` for the jobs of ``experiment`` still in the queue (this user's)."""
    statuses = " || ".join(f"JobStatus == {status}" for status in ACTIVE_STATUSES)
    constraint = f'{EXPERIMENT_ATTRIBUTE} =?= "{experiment_key(experiment)}" && ({statuses})'
    return [
        "condor_q",
        "-constraint",
        constraint,
        "-json",
        "-attributes",
        ",".join(_QUERY_ATTRIBUTES),
    ]


def parse_queue(text: str) -> dict[int, list[QueuedJob]]:
    """``condor_q -json`` output -> job id -> its HTCondor jobs, newest first."""
    found: dict[int, list[QueuedJob]] = {}
    for ad in json.loads(text) if text.strip() else []:
        try:
            job = QueuedJob(
                int(ad["ClusterId"]), int(ad[JOB_ID_ATTRIBUTE]), int(ad["JobStatus"]), _log(ad)
            )
        except (KeyError, TypeError, ValueError):
            continue
        found.setdefault(job.job_id, []).append(job)
    return {
        job_id: sorted(jobs, key=lambda j: j.cluster_id, reverse=True)
        for job_id, jobs in found.items()
    }


def _log(ad: dict[str, Any]) -> str | None:
    log = ad.get("UserLog")
    if not log:
        return None
    return os.path.realpath(os.path.join(str(ad.get("Iwd", "")), str(log)))


def query_queue(experiment: Path) -> dict[int, list[QueuedJob]] | None:
    """The experiment's jobs still in the queue; None if the schedd could not be asked."""
    try:
        result = subprocess.run(
            queue_command(experiment), capture_output=True, text=True, timeout=120, check=True
        )
        return parse_queue(result.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


@dataclass(frozen=True)
class Adoption:
    """What a rerun does with one runner job instead of submitting it."""

    job_id: int
    #: the HTCondor job of an earlier run to follow; None: the job already finished
    queued: QueuedJob | None = None
    #: more HTCondor jobs of earlier runs for the same job (to be removed)
    duplicates: tuple[QueuedJob, ...] = ()


class EarlierRuns:
    """What earlier runs left in the pool, asked once per experiment and run (before this run
    submits anything for it, so every job found belongs to an earlier run)."""

    def __init__(self) -> None:
        self._queued: dict[Path, dict[int, list[QueuedJob]] | None] = {}

    def adoption(self, experiment: Path, job_id: int) -> Adoption | None:
        """How to adopt the job, or None to submit it. Raises LookupError when the queue could
        not be asked (the caller warns and submits)."""
        if experiment not in self._queued:
            self._queued[experiment] = query_queue(experiment)
        queued = self._queued[experiment]
        earlier = queued.pop(job_id, []) if queued is not None else []
        if earlier:
            return Adoption(job_id, earlier[0], tuple(earlier[1:]))
        if already_finished(experiment, job_id):
            return Adoption(job_id)
        if queued is None:
            raise LookupError(f"condor_q could not tell which jobs of {experiment} are queued")
        return None
