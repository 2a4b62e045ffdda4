"""Running hp_optimization jobs through Snakemake (Slurm, HTCondor or any profile directory).

Every refill batch is one ``snakemake`` process in batch mode (``cluster_utils_batch=<file with
the job ids>``): the workflow only runs those jobs' ``run_job`` rules, with the resources the
backends derive from ``cluster_requirements``. Several batches are in flight at once, so a slow
job never holds back its successors. Each batch runs in its own Snakemake working directory
(``--directory``) under the experiment's internal directory: Snakemake locks per directory, and
its ``.snakemake`` metadata and log stay out of the results. A job counts as finished as soon as
its ``state.json`` says so, not only when its whole batch has ended.
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
from dataclasses import dataclass, field
from pathlib import Path

from cluster_utils.execution.snakemake import (
    BATCH_CONFIG_KEY,
    EXPERIMENT_CONFIG_KEY,
    die_with_parent,
    snakemake_argv,
)
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.hpo.job_outcome import FINISHED_STATUSES
from cluster_utils.runner.job_runner import ABORT_RULE_ENV_VAR

SHUTDOWN_GRACE_SECONDS = 30.0


def batches_dir(layout: ExperimentLayout) -> Path:
    return layout.internal / "hpo_batches"


def batch_argv(
    layout: ExperimentLayout, profile: Path, batch_dir: Path, batch_file: Path, cores: int | None
) -> list[str]:
    """``snakemake_argv`` with the batch's own working directory and the batch config key."""
    argv = snakemake_argv(layout, profile, cores=cores)
    argv[argv.index("--directory") + 1] = str(batch_dir)
    experiment_item = argv.index(f"{EXPERIMENT_CONFIG_KEY}={layout.root}")
    argv.insert(experiment_item + 1, f"{BATCH_CONFIG_KEY}={batch_file}")
    return argv


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


class SnakemakeBatchExecutor:
    poll_interval = 0.5

    def __init__(self, layout: ExperimentLayout, profile: Path, cores: int | None) -> None:
        self.layout = layout
        self.profile = profile
        self.cores = cores
        self._batches: list[Batch] = []
        # The driver applies 3.0's abort rule itself, counting this command's jobs only.
        # No driver watch: cluster jobs outlive the driver (a rerun re-attaches to them).
        self._env = {**os.environ, ABORT_RULE_ENV_VAR: "0"}

    def submit(self, job_ids: list[int]) -> None:
        directory = batches_dir(self.layout) / f"batch_{min(job_ids)}"
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

    def stop(self, job_id: int) -> None:
        path = self.layout.stop_request(job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

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
