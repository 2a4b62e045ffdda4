"""Running hp_optimization jobs on this machine: the driver starts the runners itself.

Each job is ``python -m cluster_utils.runner EXPERIMENT_DIR JOB_ID`` in a small pool of at most
``slots`` processes. Snakemake is not used here on purpose: its start-up (about 2 s per
invocation) would make the time from a job's end to its successor's start exceed one second,
while a runner starts in a fraction of that. The runner is the same one Snakemake runs on the
cluster profiles, so every job behaves and is recorded the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.runner.driver_watch import DRIVER_ENV_VAR, driver_identity
from cluster_utils.runner.job_runner import ABORT_RULE_ENV_VAR

#: how long stopped runners get to record their job as interrupted before they are killed
SHUTDOWN_GRACE_SECONDS = 8.0


def runner_log_file(layout: ExperimentLayout) -> Path:
    """Output of the runner processes themselves (the jobs' own output is in jobs/<id>/)."""
    return layout.internal / "hpo_runners.log"


class LocalExecutor:
    poll_interval = 0.02

    def __init__(self, layout: ExperimentLayout, slots: int) -> None:
        self.layout = layout
        self.slots = max(1, slots)
        self._queue: deque[int] = deque()
        self._running: dict[int, subprocess.Popen[bytes]] = {}
        # the driver applies 3.0's abort rule itself, counting this command's jobs only
        self._env = {**os.environ, DRIVER_ENV_VAR: driver_identity(), ABORT_RULE_ENV_VAR: "0"}
        layout.internal.mkdir(parents=True, exist_ok=True)
        self._log = open(runner_log_file(layout), "ab")  # noqa: SIM115 - open for the run

    def submit(self, job_ids: list[int]) -> None:
        self._queue.extend(job_ids)
        self._start_queued()

    def _start_queued(self) -> None:
        while self._queue and len(self._running) < self.slots:
            job_id = self._queue.popleft()
            self._running[job_id] = subprocess.Popen(
                [sys.executable, "-m", "cluster_utils.runner", str(self.layout.root), str(job_id)],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=self._log,
                env=self._env,
                # not in the driver's process group: Ctrl-C reaches the driver, which stops the
                # runners in order; a killed driver is noticed by the runners themselves
                start_new_session=True,
            )

    def poll(self) -> list[int]:
        finished = [job_id for job_id, proc in self._running.items() if proc.poll() is not None]
        for job_id in finished:
            del self._running[job_id]
        self._start_queued()
        return finished

    def running_ids(self) -> list[int]:
        return list(self._running)

    def stop(self, job_id: int) -> None:
        path = self.layout.stop_request(job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    def shutdown(self) -> None:
        self._queue.clear()
        for proc in self._running.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        for proc in self._running.values():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._running.clear()
        self._log.close()
