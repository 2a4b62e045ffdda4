"""The one interface through which the driver runs jobs, whatever the backend."""

from __future__ import annotations

from typing import Protocol


class JobExecutor(Protocol):
    """Runs jobs whose params.json is written; each job's outcome is its ``state.json``."""

    #: seconds the driver waits between two polls
    poll_interval: float

    def submit(self, job_ids: list[int]) -> None:
        """Start these jobs (as one refill batch) as soon as resources allow."""

    def poll(self) -> list[int]:
        """Ids of submitted jobs whose runner has ended since the last poll."""

    def running_ids(self) -> list[int]:
        """Submitted jobs that have started and not ended (candidates for early killing)."""

    def stop(self, job_id: int) -> None:
        """Ask a running job to stop (it is then recorded as stopped_early)."""

    def shutdown(self) -> None:
        """Stop everything still running (interrupt or abort); returns when it is stopped."""
