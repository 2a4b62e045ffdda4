"""``cluster_requirements.request_time`` where no scheduler enforces it: local runs.

On Slurm the scheduler ends a job at its time limit and the runner sends the script SIGUSR1
``signal_seconds_to_timeout`` seconds before (backends.slurm.arm_timeout_signal). Locally the
runner does both itself, per attempt (a resumed job starts with a fresh limit, as a requeued
Slurm job does): SIGUSR1 to the script that many seconds before the limit, then SIGTERM to its
process group at the limit and SIGKILL after a grace period. The job fails with the reason every
backend uses, ``exceeded request_time`` (job_state.EXCEEDED_REQUEST_TIME). HTCondor ignores
request_time, as 3.0 did.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from cluster_utils.backends import get_backend
from cluster_utils.experiment.job_state import EXCEEDED_REQUEST_TIME
from cluster_utils.experiment.launch_spec import LaunchSpec


def time_limit_seconds(spec: LaunchSpec) -> float | None:
    """Seconds of the job's request_time (any ``sbatch --time`` format), None without one."""
    if spec.request_time is None:
        return None
    return float(get_backend("slurm").parse_slurm_time(spec.request_time))


def exceeded_reason(spec: LaunchSpec) -> str:
    return f"{EXCEEDED_REQUEST_TIME} (local time limit of {spec.request_time})"


@dataclass
class TimeLimit:
    """The time limit of one running attempt; ask it what is due while waiting."""

    seconds: float
    signal_seconds: float | None = None
    started: float = field(default_factory=time.monotonic)
    signalled: bool = False
    exceeded: bool = False

    @property
    def _signal_at(self) -> float | None:
        if not self.signal_seconds or self.signalled:
            return None
        return max(0.0, self.seconds - self.signal_seconds)

    def seconds_to_next_event(self) -> float:
        elapsed = time.monotonic() - self.started
        pending = (self._signal_at, None if self.exceeded else self.seconds)
        events = [at for at in pending if at is not None]
        return max(0.0, min(events, default=float("inf")) - elapsed)

    def signal_due(self) -> bool:
        """True once, when the timeout signal is to be sent."""
        at = self._signal_at
        if at is None or time.monotonic() - self.started < at:
            return False
        self.signalled = True
        return True

    def stop_due(self) -> bool:
        """True once, when the limit is reached."""
        if self.exceeded or time.monotonic() - self.started < self.seconds:
            return False
        self.exceeded = True
        return True
