"""Whether the process that started this Snakemake is still there, when the run is cancelled.

``cluster-utils`` runs Snakemake as a child that gets SIGINT when the driver dies (even by
kill -9, ``runner.driver_watch``), and Snakemake then cancels its jobs. A cancellation that comes
from the driver's death is not a request to stop the jobs: they finish on the cluster, and the
same command again adopts them (``adoption``). A Ctrl-C, with the driver alive, stops them.
"""

from __future__ import annotations

import os
from collections.abc import Callable


class StartingProcess:
    """The executor's parent process, as it was when the executor started."""

    def __init__(
        self, scheduler_jobs: str, warn: Callable[[str], None], pid: int | None = None
    ) -> None:
        """``scheduler_jobs`` names the jobs in the warning ("Slurm jobs", "PBS jobs", ...);
        ``pid``: the starting process (default: this process' parent now)."""
        self._pid = os.getppid() if pid is None else pid
        self._scheduler_jobs = scheduler_jobs
        self._warn = warn

    def gone(self, n_jobs: int) -> bool:
        """True when the starting process has died: the ``n_jobs`` active jobs keep running
        (one warning says so). False when it is alive: cancel them."""
        if os.getppid() == self._pid:
            return False
        self._warn(
            f"cluster_utils: the process that started this run is gone; its {n_jobs} "
            f"{self._scheduler_jobs} keep running, and running the same command again adopts them"
        )
        return True
