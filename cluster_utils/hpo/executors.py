"""How the driver runs jobs: one interface, two executors.

- :class:`LocalExecutor` (the local profile): the driver starts the runners itself, in a pool of
  at most ``slots`` processes (``python -m cluster_utils.runner EXPERIMENT_DIR JOB_ID``).
  Snakemake is not used here on purpose: its start-up (about 2 s per invocation) would make the
  time from a job's end to its successor's start exceed one second, while a runner starts in a
  fraction of that. The runner is the same one Snakemake runs on the cluster profiles, so every
  job behaves and is recorded the same way.
- :class:`SnakemakeBatchExecutor` (Slurm, HTCondor or any profile directory): every refill batch
  is one ``snakemake`` process in batch mode (``cluster_utils_batch=<file with the job ids>``):
  the workflow only runs those jobs' ``run_job`` rules, with the resources the backends derive
  from ``cluster_requirements``. Several batches are in flight at once, so a slow job never holds
  back its successors. Each batch runs in its own Snakemake working directory under the
  experiment's internal directory: Snakemake locks per directory, and its ``.snakemake``
  metadata and log stay out of the results. A job counts as finished as soon as its
  ``state.json`` says so, not only when its whole batch has ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from cluster_utils.backends.slurm_clients import quiet_slurm_environment
from cluster_utils.execution.local_gpus import LocalGpus
from cluster_utils.execution.profiles import quiets_slurm
from cluster_utils.execution.snakemake import (
    BATCH_CONFIG_KEY,
    die_with_parent,
    print_notice,
    snakemake_argv,
)
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.hpo.jobs import FINISHED_STATUSES
from cluster_utils.runner.driver_watch import DRIVER_ENV_VAR, driver_identity
from cluster_utils.runner.job_runner import ABORT_RULE_ENV_VAR


class JobExecutor:
    """Runs jobs whose params.json is written; each job's outcome is its ``state.json``."""

    #: seconds the driver waits between two polls
    poll_interval: float
    layout: ExperimentLayout

    def submit(self, job_ids: list[int]) -> None:
        """Start these jobs (as one refill batch) as soon as resources allow."""

    def poll(self) -> list[int]:
        """Ids of submitted jobs whose runner has ended since the last poll."""

    def running_ids(self) -> list[int]:
        """Submitted jobs that have started and not ended (candidates for early killing)."""

    def stop(self, job_id: int) -> None:
        """Ask a running job to stop (it is then recorded as stopped_early): its runner polls
        for the stop request file."""
        path = self.layout.stop_request(job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    def shutdown(self) -> None:
        """Stop everything still running (interrupt or abort); returns when it is stopped."""


#: how long stopped runners get to record their job as interrupted before they are killed
SHUTDOWN_GRACE_SECONDS = 8.0


class LocalExecutor(JobExecutor):
    poll_interval = 0.02

    def __init__(self, layout: ExperimentLayout, slots: int, gpus: LocalGpus | None = None) -> None:
        self.layout = layout
        self.slots = max(1, slots)
        #: jobs start only while enough devices are free; each runner picks its own devices
        self.gpus = gpus or LocalGpus()
        self._queue: deque[int] = deque()
        self._running: dict[int, subprocess.Popen[bytes]] = {}
        # the driver applies 3.0's abort rule itself, counting this command's jobs only
        self._env = {
            **os.environ,
            **self.gpus.environment(),
            DRIVER_ENV_VAR: driver_identity(),
            ABORT_RULE_ENV_VAR: "0",
        }
        layout.internal.mkdir(parents=True, exist_ok=True)
        self._log = open(layout.hpo_runner_log, "ab")  # noqa: SIM115 - open for the run

    def submit(self, job_ids: list[int]) -> None:
        self._queue.extend(job_ids)
        self._start_queued()

    def _start_queued(self) -> None:
        while self._queue and self._has_room():
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

    def _has_room(self) -> bool:
        """A free slot, and (with pinned GPUs) enough devices no running job holds."""
        if len(self._running) >= self.slots:
            return False
        if not self.gpus.pinned:
            return True
        free = len(self.gpus.devices) - self.gpus.request * len(self._running)
        return free >= self.gpus.request

    def poll(self) -> list[int]:
        finished = [job_id for job_id, proc in self._running.items() if proc.poll() is not None]
        for job_id in finished:
            del self._running[job_id]
        self._start_queued()
        return finished

    def running_ids(self) -> list[int]:
        return list(self._running)

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


SHUTDOWN_GRACE_SECONDS = 30.0


def batch_argv(
    layout: ExperimentLayout, profile: Path, batch_dir: Path, batch_file: Path, cores: int | None
) -> list[str]:
    """``snakemake_argv`` with the batch's own working directory and the batch config key."""
    return snakemake_argv(
        layout,
        profile,
        cores=cores,
        directory=batch_dir,
        extra_config={BATCH_CONFIG_KEY: str(batch_file)},
    )


@dataclass
class Batch:
    directory: Path
    process: subprocess.Popen[bytes]
    unreported: list[int] = field(default_factory=list)

    @property
    def log(self) -> Path:
        return self.directory / "snakemake.log"


def _has_status(layout: ExperimentLayout, job_id: int, statuses: tuple[str, ...]) -> bool:
    return any((layout.status_dir(status) / str(job_id)).exists() for status in statuses)


class SnakemakeBatchExecutor(JobExecutor):
    poll_interval = 0.5

    def __init__(self, layout: ExperimentLayout, profile: Path, cores: int | None) -> None:
        self.layout = layout
        self.profile = profile
        self.cores = cores
        self._batches: list[Batch] = []
        # The driver applies 3.0's abort rule itself, counting this command's jobs only.
        # No driver watch: cluster jobs outlive the driver (a rerun re-attaches to them).
        self._env = {**os.environ, ABORT_RULE_ENV_VAR: "0"}
        if quiets_slurm(profile):  # one Snakemake start per batch (backends.slurm_clients)
            self._env = quiet_slurm_environment(self._env, say=print_notice)

    def submit(self, job_ids: list[int]) -> None:
        directory = self.layout.hpo_batches_dir / f"batch_{min(job_ids)}"
        shutil.rmtree(directory, ignore_errors=True)  # a leftover of a killed run
        directory.mkdir(parents=True)
        batch_file = directory / "jobs.json"
        batch_file.write_text(json.dumps(sorted(job_ids)))
        argv = batch_argv(self.layout, self.profile, directory, batch_file, self.cores)
        with open(directory / "snakemake.log", "ab") as log:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=directory,
                env=self._env,
                preexec_fn=die_with_parent,
                start_new_session=True,
            )
        self._batches.append(Batch(directory, process, list(job_ids)))

    def poll(self) -> list[int]:
        finished: list[int] = []
        for batch in list(self._batches):
            ended = batch.process.poll() is not None
            for job_id in list(batch.unreported):
                if ended or _has_status(self.layout, job_id, FINISHED_STATUSES):
                    batch.unreported.remove(job_id)
                    finished.append(job_id)
            if ended:
                self._batches.remove(batch)
                self._finish_batch(batch)
        return finished

    def _finish_batch(self, batch: Batch) -> None:
        if batch.process.returncode == 0:
            shutil.rmtree(batch.directory, ignore_errors=True)
        else:
            print(
                f"cluster_utils: snakemake batch exited with code {batch.process.returncode}; "
                f"its log: {batch.log}",
                file=sys.stderr,
                flush=True,
            )

    def running_ids(self) -> list[int]:
        return [
            job_id
            for batch in self._batches
            for job_id in batch.unreported
            if _has_status(self.layout, job_id, (job_state.RUNNING,))
        ]

    def shutdown(self) -> None:
        """Batches whose jobs all finished get time to exit by themselves (and are cleaned up);
        the others are interrupted (Snakemake then cancels their cluster jobs)."""
        deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
        for batch in self._batches:
            if batch.unreported:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(batch.process.pid, signal.SIGINT)
        for batch in self._batches:
            try:
                batch.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(batch.process.pid, signal.SIGKILL)
                batch.process.wait()
            if not batch.unreported:
                self._finish_batch(batch)
        self._batches.clear()
