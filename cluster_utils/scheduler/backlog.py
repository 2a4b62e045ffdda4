"""The backlog of jobs waiting to be submitted, for the executor plugins that submit in batches
(Slurm, PBS): how many may go out now under the submit cap, and a later flush when the scheduler
refused some for a while.

A mixin; the executor sets up its state in ``__post_init__``: ``_lock``, ``_backlog`` (a deque of
jobs), ``_in_flight`` (ids of this run's jobs in the scheduler), ``_submit_cap`` (0: none),
``_limit_hit`` (the scheduler refused jobs while some of ours were queued: wait until one ends),
``_flush_timer`` and the pool ``_job_submission_executor``; it defines ``_flush_backlog``.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any


class SubmissionBacklog:
    """The backlog half of an executor's submission (see the module)."""

    _lock: threading.Lock
    _backlog: deque[Any]
    _in_flight: set[str]
    _submit_cap: int
    _limit_hit: bool
    _flush_timer: threading.Timer | None
    _job_submission_executor: Executor
    _flush_backlog: Callable[[], None]

    def _schedule_flush(self, delay: float) -> None:
        """Flush the backlog in ``delay`` seconds (once, however often it is asked for)."""
        with self._lock:
            if self._flush_timer is not None or not self._backlog:
                return
            timer = threading.Timer(delay, self._flush_from_timer)
            timer.daemon = True
            self._flush_timer = timer
        timer.start()

    def _cancel_flush(self, *, drop_backlog: bool = False) -> None:
        """No delayed flush any more; with ``drop_backlog`` (the run is cancelled) nothing more
        of the backlog is submitted either."""
        with self._lock:
            if drop_backlog:
                self._backlog.clear()
            if self._flush_timer is not None:
                self._flush_timer.cancel()
                self._flush_timer = None

    def _flush_from_timer(self) -> None:
        with self._lock:
            self._flush_timer = None
        with contextlib.suppress(RuntimeError):  # the pool is gone after shutdown
            self._job_submission_executor.submit(self._flush_backlog)

    def _take_batch(self) -> list[Any]:
        """The jobs that may go out now, taken from the backlog."""
        with self._lock:
            n = min(self._capacity(), len(self._backlog))
            return [self._backlog.popleft() for _ in range(n)]

    def _capacity(self) -> int:
        """How many more jobs may go out now (call with self._lock held)."""
        if self._limit_hit:
            return 0
        if not self._submit_cap:
            return len(self._backlog)
        return max(0, self._submit_cap - len(self._in_flight))
