"""Ctrl-C cancels every job of the run, also those whose status is being asked for just then.

Snakemake's RemoteExecutor takes its jobs out of ``active_jobs`` for the length of each status
cycle (``check_active_jobs``) and puts the unfinished ones back afterwards; its ``cancel()``
cancels what ``active_jobs`` holds at that moment. A Ctrl-C that lands while a status query
runs (the longer the query, the likelier: a busy controller, sacct on a large accounting
database) therefore cancelled nothing, and the run's jobs stayed queued in the scheduler.

With :class:`CancelsUnfinishedJobs` first in an executor's bases, the executor keeps its own
record of the jobs it submitted (or adopted) and that have not been reported finished, and
``cancel()`` hands all of them to ``cancel_jobs``.
"""

from __future__ import annotations

import threading
from typing import Any


class CancelsUnfinishedJobs:
    """Mixin for a RemoteExecutor: ``cancel()`` cancels every submitted job not reported as
    succeeded or failed, whether or not a status cycle has it out of ``active_jobs``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # before RemoteExecutor.__init__, which starts the status thread
        self._unfinished: dict[int, Any] = {}
        self._unfinished_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def report_job_submission(self, job_info: Any, register_job: bool = True) -> None:
        super().report_job_submission(job_info, register_job=register_job)  # type: ignore[misc]
        with self._unfinished_lock:
            self._unfinished[id(job_info)] = job_info

    def report_job_success(self, job_info: Any) -> None:
        self._forget(job_info)
        super().report_job_success(job_info)  # type: ignore[misc]

    def report_job_error(self, job_info: Any, msg: str | None = None, **kwargs: Any) -> None:
        self._forget(job_info)
        super().report_job_error(job_info, msg=msg, **kwargs)  # type: ignore[misc]

    def cancel(self) -> None:
        self.cancel_jobs(self.unfinished_jobs())  # type: ignore[attr-defined]
        self.shutdown()  # type: ignore[attr-defined]

    def unfinished_jobs(self) -> list[Any]:
        """The submitted (or adopted) jobs not reported as succeeded or failed."""
        with self._unfinished_lock:
            return list(self._unfinished.values())

    def _forget(self, job_info: Any) -> None:
        with self._unfinished_lock:
            self._unfinished.pop(id(job_info), None)
