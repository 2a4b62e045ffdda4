"""Is the runner of a job recorded as running still there? And what did a lost run leave?

While a job runs, its state.json names the runner's pid and host, the job's pid (its process
group) and a heartbeat the runner refreshes every HEARTBEAT_SECONDS. A runner that died without
recording an outcome (SIGKILL, a crashed node) leaves the job "running": ``cluster-utils status``
shows it as lost when, on the runner's host, that pid is no runner any more, or anywhere when the
heartbeat is older than LOST_AFTER_SECONDS. The next run of the job stops what the lost run left
running and runs the job again -- unless it finished meanwhile (see JobRunner).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from cluster_utils.base import constants, job_protocol
from cluster_utils.experiment import job_state
from cluster_utils.experiment.job_state import JobState
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.runner.driver_watch import process_alive
from cluster_utils.runner.process import HEARTBEAT_SECONDS
from cluster_utils.runner.process_group import PROC, end_group, live_members, start_ticks

LOST_AFTER_SECONDS = 5 * HEARTBEAT_SECONDS


def _is_runner(pid: int) -> bool:
    if not process_alive(pid):
        return False
    try:
        cmdline = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return True  # no /proc to ask: a live process is taken for the runner
    return b"cluster_utils.runner" in cmdline


def runner_lost(state: JobState, now: float | None = None) -> bool:
    """Whether a job recorded as running has lost its runner."""
    if state.status != job_state.RUNNING or state.runner_pid is None:
        return False
    if state.hostname == socket.gethostname() and not _is_runner(state.runner_pid):
        return True
    now = time.time() if now is None else now
    return state.heartbeat is not None and now - state.heartbeat > LOST_AFTER_SECONDS


def leftover_job_group(state: JobState) -> int | None:
    """The process group of a lost run's job if it still runs on this host, else None."""
    if state.job_pid is None or state.hostname != socket.gethostname():
        return None
    ticks = start_ticks(state.job_pid)
    if ticks is not None and state.job_start_ticks is not None and ticks != state.job_start_ticks:
        return None  # a later process has that pid: the job's group is gone
    return state.job_pid if live_members(state.job_pid) else None


def settle_lost_run(layout: ExperimentLayout, state: JobState) -> None:
    """Record the outcome of a run whose runner died (the caller holds the job's lock, so no
    runner of this job is left): succeeded if the job finished meanwhile -- its process group
    is gone and it wrote metrics.csv and asked for no resume since its last start --, else
    pending (to run again) after what it left running is stopped."""
    group = leftover_job_group(state)
    still_running = group is not None and end_group(group) > 0
    attempt = state.attempts[-1] if state.attempts else None
    if attempt is not None and attempt.end is None:
        attempt.end = time.time()
    working_dir = layout.working_dir(state.id)
    finished = (
        not still_running
        and attempt is not None
        and _modified_since(working_dir / constants.CLUSTER_METRIC_FILE, attempt.start)
        and not job_protocol.protocol_file(working_dir, job_protocol.RESUME_REQUEST_FILE).exists()
    )
    lost = f"Job {state.id}: its runner (pid {state.runner_pid}) was lost while the job ran"
    if finished:
        state.status, state.reason, state.return_code = job_state.SUCCEEDED, None, None
        job_state.log_line(layout, f"{lost}; the job finished meanwhile.", "WARNING")
        job_state.log_line(layout, f"Job {state.id} finished successfully.")
    else:
        state.status, state.reason = job_state.PENDING, "its runner was lost while it ran"
        job_state.log_line(layout, f"{lost}; running it again.", "WARNING")
    job_state.save_state(layout, state)


def _modified_since(path: Path, since: float) -> bool:
    try:
        return path.stat().st_mtime >= since - 1.0
    except FileNotFoundError:
        return False
