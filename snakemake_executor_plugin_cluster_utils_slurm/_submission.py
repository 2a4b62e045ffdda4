"""Submission of runner jobs as Slurm arrays (the backlog, the submit cap, sbatch itself), and
of the plugin's own jobs when the user's sbatch options replace some of its own."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from snakemake_executor_plugin_slurm.submit_string import get_submit_command
from snakemake_executor_plugin_slurm.utils import set_gres_string
from snakemake_executor_plugin_slurm.validation import (
    validate_or_get_slurm_job_id,
    validate_slurm_extra,
)
from snakemake_interface_executor_plugins.executors.base import SubmittedJobInfo
from snakemake_interface_executor_plugins.jobs import JobExecutorInterface

from cluster_utils.scheduler.backlog import SubmissionBacklog
from cluster_utils.scheduler.earlier_runs import EarlierRunAdoption

from . import _adopt, _arrays, _user_options

#: sbatch's complaints when a per-user/QOS submit limit is reached: retry later, not a failure
SUBMIT_LIMIT_RE = re.compile(
    r"(?i)MaxSubmitJob|submit limit|SubmitLimit|job submit limit|QOSMaxSubmit|AssocMaxSubmit"
)
#: seconds before retrying a submission that hit a submit limit while none of ours was running
SUBMIT_RETRY_SECONDS = 30.0


class ArraySubmission(SubmissionBacklog, EarlierRunAdoption):
    """The submission half of :class:`~._executor.Executor` (a mixin: it uses the executor's
    state set up in its ``__post_init__`` and the Slurm plugin's methods); the backlog and
    adopting earlier runs' tasks are the shared ``cluster_utils.scheduler`` mixins."""

    scheduler_name = "Slurm"
    status_command = "sacct"
    task_word = "tasks"

    def _flush_backlog(self) -> None:
        with self._flush_lock:
            batch = self._adopt_earlier_tasks(self._take_batch())
            groups: dict[str, list[tuple[JobExecutorInterface, list[str]]]] = {}
            for job in batch:
                try:
                    argv = self.runner_argv(job)
                    assert argv is not None
                    options = self.sbatch_options(job)
                except Exception as exc:
                    self._report_job_error_threadsafe(
                        SubmittedJobInfo(job), f"Job submission failed: {exc}"
                    )
                    continue
                groups.setdefault(options, []).append((job, argv))
            for options, members in groups.items():
                for members_of_array in _arrays.split(members, self._max_array_tasks):
                    self._submit_array(options, members_of_array)

    def _latest_earlier_tasks(self, experiment: Path) -> dict[str, _adopt.EarlierTask]:
        return _adopt.latest_tasks(experiment, self.run_uuid)

    def _with_status(self, tasks: list[_adopt.EarlierTask]) -> list[_adopt.EarlierTask] | None:
        return _adopt.with_status(tasks)

    def _register_adopted(
        self, job: JobExecutorInterface, argv: list[str], earlier: _adopt.EarlierTask
    ) -> None:
        """Register the job under its earlier task instead of submitting it."""
        with self._lock:
            self._in_flight.add(earlier.task)
        self._status_runs.add(earlier.run)
        self._outage.watch(_arrays.experiment_of(argv))
        logfile = self.slurm_logdir / f"rule_{job.name}" / f"{earlier.task}.log"
        self._report_job_submission_threadsafe(
            SubmittedJobInfo(
                job,
                external_jobid=earlier.task,
                aux={"slurm_logfile": logfile, "cluster_utils_argv": argv},
            )
        )

    def sbatch_options(self, job: JobExecutorInterface, logfile: Path | None = None) -> str:
        """The plugin's sbatch command line for this job (without the script and --array),
        with the user's extra_submission_options in place of the options they replace."""
        _user_options.check_mapping(job)
        validate_slurm_extra(job)
        logfile = logfile or self.slurm_logdir / f"rule_{job.name}" / "%A_%a.log"
        logfile.parent.mkdir(parents=True, exist_ok=True)
        params = {
            "run_uuid": self.run_uuid,
            "slurm_logfile": logfile,
            "comment_str": f"rule_{job.name}",
            "account": next(self.get_account_arg(job)),
            "partition": self.get_partition_arg(job),
            "workdir": self.workflow.workdir_init,
        }
        call = get_submit_command(
            job, params, settings=self.workflow.executor_settings, failed_nodes=self._failed_nodes
        )
        call += set_gres_string(job)
        return _user_options.apply(call, job, self._replaced_reported, self.logger)

    def run_job(self, job: JobExecutorInterface) -> None:
        """Jobs of the plugin's own path (nested Snakemake); the plugin would refuse the user's
        options that replace its own, so such jobs are submitted here, the plugin's way."""
        try:
            _user_options.check_mapping(job)
        except ValueError as exc:
            self._report_job_error_threadsafe(SubmittedJobInfo(job), str(exc))
            return
        if not _user_options.replacing(job):
            super().run_job(job)
            return
        logfile = self.slurm_logdir / f"rule_{job.name}" / "%j.log"
        try:
            call = f"{self.sbatch_options(job, logfile)} /dev/stdin"
            proc = self._sbatch(call, f"#!/bin/sh\n{self.format_job_exec(job)}\n")
            if proc.returncode != 0:
                error = (proc.stderr or proc.stdout).strip()
                raise RuntimeError(f"SLURM sbatch failed: {error}\n    sbatch call: {call}")
            slurm_id = validate_or_get_slurm_job_id(proc.stdout.strip().split(";")[0], proc.stdout)
        except Exception as exc:
            self._report_job_error_threadsafe(SubmittedJobInfo(job), f"Job submission: {exc}")
            return
        self.logger.info(f"Job {job.jobid} has been submitted with SLURM jobid {slurm_id}.")
        logfile = logfile.with_name(f"{slurm_id}.log")
        self._report_job_submission_threadsafe(
            SubmittedJobInfo(job, external_jobid=slurm_id, aux={"slurm_logfile": logfile})
        )

    def _sbatch(self, call: str, script: str) -> subprocess.CompletedProcess[str]:
        """Run one sbatch command line with the script on its stdin."""
        self.logger.debug(f"cluster_utils: sbatch call: {call}\n{script}")
        try:
            return subprocess.run(
                call, shell=True, input=script, capture_output=True, text=True, timeout=300
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return subprocess.CompletedProcess(call, 1, "", str(exc))

    def _submit_array(
        self, options: str, members: list[tuple[JobExecutorInterface, list[str]]]
    ) -> None:
        script = _arrays.array_script(
            [argv for _, argv in members],
            comment=f"cluster_utils: {len(members)} runner jobs of Snakemake run {self.run_uuid}",
        )
        call = f"{options} {_arrays.array_option(len(members), self._max_running)} /dev/stdin"
        proc = self._sbatch(call, script)
        self.sbatch_calls += 1
        if proc.returncode != 0:
            error = (proc.stderr or proc.stdout).strip()
            if SUBMIT_LIMIT_RE.search(error):
                self._back_to_backlog([job for job, _ in members], error)
                return
            for job, _ in members:
                self._report_job_error_threadsafe(
                    SubmittedJobInfo(job),
                    f"SLURM sbatch failed: {error}\n    sbatch call:\n        {call}\n",
                )
            return
        try:
            array_id = validate_or_get_slurm_job_id(proc.stdout.strip().split(";")[0], proc.stdout)
        except Exception as exc:
            for job, _ in members:
                self._report_job_error_threadsafe(SubmittedJobInfo(job), str(exc))
            return
        self.array_tasks_submitted += len(members)
        for experiment in {_arrays.experiment_of(argv) for _, argv in members}:
            self._outage.watch(experiment)
        for index, (job, argv) in enumerate(members):
            external_id = _arrays.task_external_id(array_id, index)
            logfile = self.slurm_logdir / f"rule_{job.name}" / f"{array_id}_{index}.log"
            with self._lock:
                self._in_flight.add(external_id)
            self._report_job_submission_threadsafe(
                SubmittedJobInfo(
                    job,
                    external_jobid=external_id,
                    aux={"slurm_logfile": logfile, "cluster_utils_argv": argv},
                )
            )
        _arrays.record_array(array_id, self.run_uuid, [argv for _, argv in members])
        ids = [str(job.jobid) for job, _ in members]
        shown = ",".join(ids[:20]) + (f",... ({len(ids) - 20} more)" if len(ids) > 20 else "")
        self.logger.info(
            f"cluster_utils: submitted Slurm array {array_id} with {len(members)} tasks "
            f"(Snakemake jobs {shown})"
        )

    def _back_to_backlog(self, jobs: list[JobExecutorInterface], error: str) -> None:
        with self._lock:
            self._backlog.extendleft(reversed(jobs))
            in_flight = len(self._in_flight)
            if in_flight:
                self._limit_hit = True  # wait until one of ours finishes
        self.logger.warning(
            f"cluster_utils: Slurm refused more jobs ({error}); {len(jobs)} jobs wait and are "
            f"submitted as others finish ({in_flight} of this run in the queue)"
        )
        if not in_flight:
            self._schedule_flush(SUBMIT_RETRY_SECONDS)
