"""Runner-side record of one job: ``jobs/<id>/state.json``, status markers, cluster_run.log."""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from cluster_utils.base import constants
from cluster_utils.base.job_protocol import atomic_write_json
from cluster_utils.experiment.layout import STATUS_NAMES, ExperimentLayout

SUCCEEDED = "succeeded"
FAILED = "failed"
RUNNING = "running"
PENDING = "pending"
#: stopped on the driver's request (kill_bad_jobs_early); not a failure
STOPPED_EARLY = "stopped_early"
#: the failure reason of a job that ran past cluster_requirements.request_time, on every backend
#: (Slurm's TIMEOUT and the runner's own limit on local runs add details in parentheses)
EXCEEDED_REQUEST_TIME = "exceeded request_time"
#: attempts kept in state.json (a job resumed many times must not grow it without bound)
MAX_KEPT_ATTEMPTS = 5


@dataclass
class Attempt:
    start: float
    end: float | None = None
    return_code: int | None = None
    resumed: bool = False
    hostname: str | None = None


@dataclass
class JobState:
    id: int
    status: str = PENDING
    reason: str | None = None
    return_code: int | None = None
    hostname: str | None = None
    #: how often the job asked to be resumed (exit_for_resume), in total
    resumes: int = 0
    stderr_tail: str | None = None
    #: a succeeded job's metrics, kept here when its working directory is removed
    metrics: dict[str, Any] | None = None
    #: the last MAX_KEPT_ATTEMPTS attempts (start/end/outcome); attempts_total counts them all
    attempts: list[Attempt] = field(default_factory=list)
    scheduler_job_id: str | None = None
    #: problems of the latest run that did not fail the job (a failing pre_job_script)
    warnings: list[str] = field(default_factory=list)
    attempts_total: int = 0
    #: resumes since the job last ended otherwise (the max_resumes limit applies to these)
    resumes_in_a_row: int = 0
    #: while it runs: the runner's pid (on ``hostname``), the job's pid (= its process group)
    #: with its start time in clock ticks since boot (to tell it from a later process with the
    #: same pid), and when the runner last said it is alive (unix time)
    runner_pid: int | None = None
    job_pid: int | None = None
    job_start_ticks: int | None = None
    heartbeat: float | None = None
    #: local runs: the GPU ids the job had to itself (its CUDA_VISIBLE_DEVICES); None: not pinned
    gpus: list[str] | None = None

    def add_attempt(self, attempt: Attempt) -> None:
        """Record a new attempt; only the last few are kept, so state.json stays small."""
        self.attempts = [*self.attempts, attempt][-MAX_KEPT_ATTEMPTS:]
        self.attempts_total += 1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobState:
        # files of older versions lack the newer keys; keys this version does not know are left out
        known = {f.name for f in fields(cls)} - {"attempts"}
        values = {key: value for key, value in data.items() if key in known}
        attempts = [Attempt(**a) for a in data.get("attempts", [])]
        state = cls(**values, attempts=attempts[-MAX_KEPT_ATTEMPTS:])
        state.attempts_total = max(state.attempts_total, len(attempts))
        return state


#: the reason recorded for a job whose state.json cannot be read (truncated, edited, ...)
UNREADABLE_STATE = "its state.json could not be read; the outcome is unknown, running it again"


def load_state(layout: ExperimentLayout, job_id: int) -> JobState:
    """The job's state; a missing one is pending, an unreadable one is pending with a reason."""
    try:
        with open(layout.state_file(job_id)) as f:
            return JobState.from_json(json.load(f))
    except FileNotFoundError:
        return JobState(id=job_id)
    except (OSError, ValueError, TypeError, AttributeError):
        return JobState(id=job_id, reason=UNREADABLE_STATE)


def results_exist(layout: ExperimentLayout, state: JobState) -> bool:
    """Whether the job's metrics are still there: metrics.csv in its working directory, or the
    copy in state.json that remove_working_dirs keeps."""
    if state.metrics is not None:
        return True
    return (layout.working_dir(state.id) / constants.CLUSTER_METRIC_FILE).is_file()


def is_finished(layout: ExperimentLayout, state: JobState) -> bool:
    """The one rule for "this job is finished; a rerun does not run it again": it was stopped
    early on the driver's request, or it succeeded and its results still exist. The runner,
    the repair of a hand-edited experiment, ``--dry-run`` and the executors' adoption of earlier
    runs' jobs all ask this."""
    if state.status == STOPPED_EARLY:
        return True
    return state.status == SUCCEEDED and results_exist(layout, state)


def job_is_finished(layout: ExperimentLayout, job_id: int) -> bool:
    """:func:`is_finished` for the job's recorded state (no state.json: not finished)."""
    return is_finished(layout, load_state(layout, job_id))


def save_state(layout: ExperimentLayout, state: JobState, *, markers: bool = True) -> None:
    """Write state.json; ``markers=False`` when the status did not change (a heartbeat)."""
    atomic_write_json(layout.state_file(state.id), state.to_json())
    if markers:
        mark_status(layout, state.id, state.status)


def mark_status(layout: ExperimentLayout, job_id: int, status: str) -> None:
    """Keep exactly one marker file per job in ``.cluster_utils/status/<status>/``."""
    for name in STATUS_NAMES:
        marker = layout.status_dir(name) / str(job_id)
        if name == status:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        else:
            with contextlib.suppress(FileNotFoundError):
                marker.unlink()


def count_status(layout: ExperimentLayout) -> dict[str, int]:
    counts = {}
    for name in STATUS_NAMES:
        try:
            counts[name] = len(os.listdir(layout.status_dir(name)))
        except FileNotFoundError:
            counts[name] = 0
    return counts


def log_line(layout: ExperimentLayout, message: str, level: str = "INFO") -> None:
    """Append one line to cluster_run.log in 3.0's format (a single O_APPEND write)."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f",{int(now % 1 * 1000):03d}"
    line = f"{stamp} - cluster_utils - {level} - {message}\n".encode()
    fd = os.open(layout.run_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
