"""The submission half of the executor: the backlog, qsub -J calls, adoption, resubmission."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from snakemake_interface_executor_plugins.executors.base import SubmittedJobInfo
from snakemake_interface_executor_plugins.jobs import JobExecutorInterface

from cluster_utils.backends import get_backend
from cluster_utils.backends.slurm_clients import caller_environment
from cluster_utils.runner.scheduler_failures import record_scheduler_failure
from cluster_utils.scheduler.backlog import SubmissionBacklog
from cluster_utils.scheduler.earlier_runs import EarlierRunAdoption

from . import _adopt, _arrays, _status, _user_options

_pbs = get_backend("pbs")


def _submitter_umask() -> int:
    """This process's umask (os.umask can only be read by setting it)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


#: qsub's complaints when a queue/server limit on queued jobs is reached: retry later
SUBMIT_LIMIT_RE = re.compile(
    r"(?i)would exceed|Maximum number of jobs|max_queued|queued limit|too many jobs"
)
#: seconds before retrying a submission refused for a limit or by a server that did not answer
SUBMIT_RETRY_SECONDS = 10.0
_NAME_RE = re.compile(r"[^A-Za-z0-9_.-]")


class Member:
    """One job of a submission: what its subjob runs."""

    __slots__ = ("argv", "command", "job")

    def __init__(self, job: JobExecutorInterface, argv: list[str] | None, command: str) -> None:
        self.job, self.argv, self.command = job, argv, command


class ArraySubmission(SubmissionBacklog, EarlierRunAdoption):
    """The submission half of :class:`~._executor.Executor` (a mixin: it uses the executor's
    state set up in its ``__post_init__``); the backlog and adopting earlier runs'
    subjobs are the shared ``cluster_utils.scheduler`` mixins."""

    scheduler_name = "PBS"
    status_command = "qstat"
    task_word = "jobs"

    def _flush_backlog(self) -> None:
        with self._flush_lock:
            batch = self._adopt_earlier_tasks(self._take_batch())
            groups: dict[tuple[str, ...], list[Member]] = {}
            for job in batch:
                try:
                    options = tuple(self.qsub_options(job))
                    argv = self.runner_argv(job)
                    command = _arrays.job_command(argv, "" if argv else self.format_job_exec(job))
                except Exception as exc:
                    self._report_job_error_threadsafe(
                        SubmittedJobInfo(job), f"Job submission failed: {exc}"
                    )
                    continue
                groups.setdefault(options, []).append(Member(job, argv, command))
            for options, members in groups.items():
                for members_of_array in _arrays.split(members, self._max_array_tasks):
                    self._submit_array(list(options), members_of_array)

    def qsub_options(self, job: JobExecutorInterface) -> list[str]:
        """The qsub command line of this job (without the array and the script)."""
        _user_options.check_mapping(job)
        if _user_options.queue_from_partition(job) and not self._partition_reported:
            self._partition_reported = True
            self.logger.warning(f"cluster_utils: {_pbs.PARTITION_AS_QUEUE_NOTICE}")
        name = _NAME_RE.sub("_", f"cu_{job.name}")[:60]
        self._logdir.mkdir(parents=True, exist_ok=True)
        command = [
            "qsub",
            "-N",
            name,
            "-j",
            "oe",
            "-o",
            f"{self._logdir}/",
            "-v",
            f"{_pbs.RUN_ENV}={self.run_uuid}",
            # the job's files get the submitter's umask (as on Slurm), not PBS' default 077
            "-W",
            f"umask={_submitter_umask():04o}",
            *_user_options.derived_options(job),
        ]
        return _user_options.apply(command, job, self._replaced_reported, self.logger)

    def _qsub(self, command: list[str], script: str) -> subprocess.CompletedProcess[str]:
        """Run one qsub with the job script on its stdin."""
        self.logger.debug(f"cluster_utils: qsub call: {_status.format_command(command)}\n{script}")
        self.qsub_calls += 1
        try:
            return subprocess.run(
                command,
                input=script,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
                # qsub -V: the jobs see the user's environment, not Snakemake's empty Slurm config
                env=caller_environment(os.environ),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return subprocess.CompletedProcess(command, 1, "", str(exc))

    def _submit_array(self, options: list[str], members: list[Member]) -> None:
        script = _arrays.array_script(
            [member.command for member in members],
            str(self.workflow.workdir_init),
            comment=f"cluster_utils: {len(members)} jobs of Snakemake run {self.run_uuid}",
        )
        command = [*options, *_arrays.array_option(len(members))]
        proc = self._qsub(command, script)
        if proc.returncode != 0:
            error = (proc.stderr or proc.stdout).strip()
            if SUBMIT_LIMIT_RE.search(error) or _status.SERVER_DOWN_RE.search(error):
                self._back_to_backlog([member.job for member in members], error)
                return
            reason = f"PBS refused the job ({error})"
            for member in members:
                if member.argv is not None:  # the driver's summary and failures.csv say why
                    job_id = _arrays.job_id_of(member.argv)
                    if job_id is not None:
                        record_scheduler_failure(
                            Path(_arrays.experiment_of(member.argv)), job_id, reason
                        )
                self._report_job_error_threadsafe(
                    SubmittedJobInfo(member.job),
                    f"PBS qsub failed: {error}\n    qsub call: {_status.format_command(command)}\n",
                )
            return
        array_id = proc.stdout.strip().splitlines()[-1].strip() if proc.stdout.strip() else ""
        if not array_id:
            for member in members:
                self._report_job_error_threadsafe(
                    SubmittedJobInfo(member.job), f"PBS qsub printed no job id: {proc.stderr}"
                )
            return
        self.subjobs_submitted += len(members)
        for index, member in enumerate(members):
            external_id = _arrays.subjob_id(array_id, index)
            self._register(member.job, external_id, member.argv)
        _arrays.record_array(array_id, self.run_uuid, [member.argv for member in members])
        ids = [str(member.job.jobid) for member in members]
        shown = ",".join(ids[:20]) + (f",... ({len(ids) - 20} more)" if len(ids) > 20 else "")
        kind = "array" if len(members) > 1 else "job"
        self.logger.info(
            f"cluster_utils: submitted PBS {kind} {array_id} with {len(members)} "
            f"{'subjobs' if len(members) > 1 else 'job'} (Snakemake jobs {shown})"
        )

    def _register(
        self, job: JobExecutorInterface, external_id: str, argv: list[str] | None
    ) -> SubmittedJobInfo:
        with self._lock:
            self._in_flight.add(external_id)
        info = SubmittedJobInfo(
            job,
            external_jobid=external_id,
            aux={"pbs_logfile": self._logdir / f"{external_id}.OU", "cluster_utils_argv": argv},
        )
        self._report_job_submission_threadsafe(info)
        return info

    def resubmit(self, job_info: SubmittedJobInfo) -> SubmittedJobInfo | str:
        """Submit a job that asked to be resumed once more (a plain qsub, fresh walltime):
        the new job's info, or why it could not be submitted."""
        job, argv = job_info.job, job_info.aux.get("cluster_utils_argv")
        try:
            options = self.qsub_options(job)
        except Exception as exc:
            return str(exc)
        script = _arrays.array_script(
            [_arrays.job_command(argv, "")],
            str(self.workflow.workdir_init),
            comment=f"cluster_utils: resumed job of Snakemake run {self.run_uuid}",
        )
        proc = self._qsub(options, script)
        new_id = proc.stdout.strip().splitlines()[-1].strip() if proc.stdout.strip() else ""
        if proc.returncode != 0 or not new_id:
            return f"PBS qsub failed: {(proc.stderr or proc.stdout).strip()}"
        self.resubmitted += 1
        _arrays.record_array(new_id, self.run_uuid, [argv])
        with self._lock:
            self._in_flight.add(new_id)
        return SubmittedJobInfo(
            job,
            external_jobid=new_id,
            aux={"pbs_logfile": self._logdir / f"{new_id}.OU", "cluster_utils_argv": argv},
        )

    def _latest_earlier_tasks(self, experiment: Path) -> dict[str, _adopt.EarlierTask]:
        return _adopt.latest_tasks(experiment, self.run_uuid)

    def _with_status(self, tasks: list[_adopt.EarlierTask]) -> list[_adopt.EarlierTask] | None:
        return _adopt.with_status(tasks)

    def _register_adopted(
        self, job: JobExecutorInterface, argv: list[str], earlier: _adopt.EarlierTask
    ) -> None:
        self._register(job, earlier.task, argv)

    def _back_to_backlog(self, jobs: list[JobExecutorInterface], error: str) -> None:
        with self._lock:
            self._backlog.extendleft(reversed(jobs))
            in_flight = len(self._in_flight)
            if in_flight and not _status.SERVER_DOWN_RE.search(error):
                self._limit_hit = True  # wait until one of ours finishes
        self.logger.warning(
            f"cluster_utils: PBS did not take {len(jobs)} jobs ({error}); they wait and are "
            f"submitted again later ({in_flight} of this run in the queue)"
        )
        with self._lock:
            retry = not self._limit_hit
        if retry:
            self._schedule_flush(SUBMIT_RETRY_SECONDS)
