"""The status thread's pause between two status cycles, cut short when the run ends.

Snakemake's RemoteExecutor checks its jobs in a thread that sleeps between two cycles
(``seconds-between-status-checks``, or the interval the executor backs off to), and its
``shutdown()`` waits for that thread: up to a whole interval after the last job ended
(measured on Slurm: 0.36 s of the 1.8 s between the last job's end and the command's
return; on PBS, whose polls back off, up to the current poll interval). With this mixin
first in an executor's bases, the pause ends within :data:`SLICE_SECONDS` of ``shutdown()``.
"""

from __future__ import annotations

import asyncio
import time

#: how soon a pause notices that the run has ended
SLICE_SECONDS = 0.05


class InterruptibleStatusSleep:
    """Mixin for a RemoteExecutor: ``sleep()`` returns early once ``shutdown()`` cleared
    ``wait`` (RemoteExecutor's flag that keeps its status thread going)."""

    wait: bool
    next_seconds_between_status_checks: float | None

    async def sleep(self) -> None:
        deadline = time.monotonic() + float(self.next_seconds_between_status_checks or 0)
        while self.wait:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await asyncio.sleep(min(SLICE_SECONDS, remaining))
