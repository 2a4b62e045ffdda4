"""Paths inside an experiment directory (docs/results_layout.md): the one place naming them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cluster_utils.base import constants

INTERNAL_DIR = ".cluster_utils"
STATUS_NAMES = ("running", "succeeded", "failed", "stopped_early")


@dataclass(frozen=True)
class ExperimentLayout:
    root: Path

    @classmethod
    def at(cls, root: str | Path) -> ExperimentLayout:
        return cls(Path(root).resolve())

    # results a user reads
    @property
    def all_data_csv(self) -> Path:
        return self.root / constants.FULL_DF_FILE

    @property
    def reduced_data_csv(self) -> Path:
        return self.root / constants.REDUCED_DF_FILE

    @property
    def jobs_csv(self) -> Path:
        return self.root / "jobs.csv"

    @property
    def failures_csv(self) -> Path:
        return self.root / "failures.csv"

    @property
    def run_log(self) -> Path:
        return self.root / "cluster_run.log"

    @property
    def metadata_json(self) -> Path:
        return self.root / constants.METADATA_FILE

    @property
    def settings_json(self) -> Path:
        return self.root / constants.JSON_SETTINGS_FILE

    @property
    def working_directories(self) -> Path:
        return self.root / "working_directories"

    @property
    def best_jobs(self) -> Path:
        return self.root / "best_jobs"

    def working_dir(self, job_id: int | str) -> Path:
        return self.working_directories / str(job_id)

    def report_pdf(self, kind: str, name: str | None = None) -> Path:
        """3.0's report file: ``result.pdf`` for hp_optimization, ``<name>_report.pdf`` (name:
        optimization_procedure_name) for grid_search."""
        if kind == "hp_optimization":
            return self.root / "result.pdf"
        if not name:
            raise ValueError("the grid_search report is named after optimization_procedure_name")
        return self.root / f"{name}_report.pdf"

    # runner-side files of one job
    @property
    def jobs_dir(self) -> Path:
        return self.root / "jobs"

    def job_dir(self, job_id: int | str) -> Path:
        return self.jobs_dir / str(job_id)

    def job_hash_file(self, job_id: int | str) -> Path:
        """A grid job's content hash: rebuilds the id registry if that is lost."""
        return self.job_dir(job_id) / "job_hash"

    def params_file(self, job_id: int | str) -> Path:
        return self.job_dir(job_id) / "params.json"

    def state_file(self, job_id: int | str) -> Path:
        return self.job_dir(job_id) / "state.json"

    def stdout_file(self, job_id: int | str) -> Path:
        return self.job_dir(job_id) / "stdout.log"

    def stderr_file(self, job_id: int | str) -> Path:
        return self.job_dir(job_id) / "stderr.log"

    def done_marker(self, job_id: int | str) -> Path:
        return self.job_dir(job_id) / "done"

    @property
    def chunks_dir(self) -> Path:
        """Groups of jobs run one after another by one runner (fast local runs)."""
        return self.jobs_dir / "chunks"

    def chunk_members(self, chunk: str) -> Path:
        return self.chunks_dir / f"{chunk}.json"

    def chunk_marker(self, chunk: str) -> Path:
        return self.chunks_dir / f"{chunk}.done"

    def stop_request(self, job_id: int | str) -> Path:
        """Written by the driver to stop a running job early (hp_optimization's early killing)."""
        return self.job_dir(job_id) / "stop_request"

    # internal
    @property
    def internal(self) -> Path:
        return self.root / INTERNAL_DIR

    @property
    def launch_spec(self) -> Path:
        return self.internal / "launch.json"

    @property
    def plan_file(self) -> Path:
        return self.internal / "plan.json"

    @property
    def id_registry(self) -> Path:
        return self.internal / "job_ids.json"

    @property
    def abort_file(self) -> Path:
        return self.internal / "abort"

    @property
    def run_lock(self) -> Path:
        return self.internal / "run.lock"

    @property
    def scheduler_outage(self) -> Path:
        """Since when the cluster's scheduler has not answered (experiment.scheduler_outage)."""
        return self.internal / "scheduler_outage.json"

    @property
    def snakemake_log(self) -> Path:
        return self.internal / "snakemake.log"

    @property
    def hpo_driver_state(self) -> Path:
        """hp_optimization's driver state: optimizer state and every job's record."""
        return self.internal / "hpo_driver_state.json"

    @property
    def hpo_runner_log(self) -> Path:
        """Output of locally started runner processes (the jobs' own output is in jobs/<id>/)."""
        return self.internal / "hpo_runners.log"

    @property
    def hpo_batches_dir(self) -> Path:
        """One Snakemake working directory per hp_optimization batch on a cluster profile."""
        return self.internal / "hpo_batches"

    @property
    def gpu_locks_dir(self) -> Path:
        """Local runs: one lock file per GPU, held by the job using that device."""
        return self.internal / "gpus"

    def status_dir(self, status: str) -> Path:
        """Directory of empty marker files, one per job in that status (cheap counting)."""
        return self.internal / "status" / status
