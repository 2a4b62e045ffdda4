"""The executor itself; see the package docstring."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import threading
import uuid
from collections import deque
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from snakemake_interface_executor_plugins.executors.base import SubmittedJobInfo
from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor
from snakemake_interface_executor_plugins.jobs import JobExecutorInterface
from snakemake_interface_executor_plugins.settings import CommonSettings

from cluster_utils.base.constants import RETURN_CODE_FOR_RESUME
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.runner.scheduler_failures import scheduler_failure_message
from cluster_utils.scheduler import adoption, arrays
from cluster_utils.scheduler.adoption import AdoptionCounts
from cluster_utils.scheduler.arrays import runner_job_of
from cluster_utils.scheduler.outage import SchedulerOutage
from cluster_utils.scheduler.runner_records import finished_on_disk
from cluster_utils.scheduler.starting_process import StartingProcess
from cluster_utils.scheduler.status_sleep import InterruptibleStatusSleep
from cluster_utils.scheduler.unfinished_jobs import CancelsUnfinishedJobs

from . import _arrays, _limits, _status
from ._adopt import EarlierTask
from ._settings import ExecutorSettings
from ._submission import ArraySubmission

__all__ = ["Executor", "ExecutorSettings", "common_settings"]

common_settings = CommonSettings(
    non_local_exec=True,
    implies_no_shared_fs=False,
    job_deploy_sources=False,
    pass_default_storage_provider_args=True,
    pass_default_resources_args=True,
    pass_envvar_declarations_to_cmd=False,  # qsub -V passes the environment
    auto_deploy_default_storage_provider=False,
    init_seconds_before_status_checks=2,
    pass_group_args=True,
)
#: qdel takes this many job ids per call
QDEL_CHUNK = 100
#: cycles in which a server that answers does not know one of our jobs before it counts as lost
UNKNOWN_CYCLES = 5


class Executor(CancelsUnfinishedJobs, InterruptibleStatusSleep, ArraySubmission, RemoteExecutor):
    """cluster_utils jobs on PBS: arrays, one qstat per status cycle, resume, adoption."""

    def __post_init__(self) -> None:
        self.run_uuid = str(uuid.uuid4())
        settings = self.workflow.executor_settings
        array_limit = int(getattr(settings, "array_limit", 0) or _limits.DEFAULT_MAX_ARRAY_SIZE)
        self._max_array_tasks = max(1, min(_limits.max_array_size(), array_limit))
        self._submit_cap = int(settings.submit_cap or 0)
        batch = settings.batch_seconds
        self._batch_seconds = max(0.0, float(0.5 if batch is None else batch))
        self._initial_interval = float(settings.init_seconds_before_status_checks or 2)
        self._max_status_interval = float(settings.max_seconds_between_status_checks or 60)
        self._logdir = Path(self.workflow.workdir_init, settings.logdir or ".snakemake/pbs_logs")
        self._backlog: deque[JobExecutorInterface] = deque()
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()  # backlog, in-flight set, flush timer
        self._flush_lock = threading.Lock()  # one submission round at a time
        self._flush_timer: threading.Timer | None = None
        self._limit_hit = False
        self._job_submission_executor = ThreadPoolExecutor(max_workers=1)
        self._main_event_loop: asyncio.AbstractEventLoop | None = None
        # a rerun adopts jobs of earlier runs (_adopt): per experiment, job -> its earlier subjob
        self._earlier: dict[str, dict[str, EarlierTask]] = {}
        self._adoptions = AdoptionCounts()
        self._unknown_cycles: dict[str, int] = {}
        self._outage = SchedulerOutage("PBS server", self.logger.warning)
        # the driver that started this Snakemake; when it is gone, cancel_jobs cancels nothing
        self._starting_process = StartingProcess("PBS jobs", self.logger.warning)
        #: groups of qsub options (walltime, select, ...) whose replacement was already reported
        self._replaced_reported: set[str] = set()
        self._partition_reported = False
        self.qsub_calls = 0
        self.subjobs_submitted = 0
        self.resubmitted = 0
        self.status_queries = 0
        self.status_cycles = 0
        self.logger.info(
            f"cluster_utils: PBS run {self.run_uuid}; jobs go out as PBS arrays (at most "
            f"{self._max_array_tasks} subjobs per qsub, submit cap {self._submit_cap or 'none'})"
        )

    # --- which jobs take the direct path ------------------------------------------------------

    def runner_argv(self, job: JobExecutorInterface) -> list[str] | None:
        """The runner call a job consists of, or None for jobs that need Snakemake in the job."""
        return arrays.runner_call(job)

    def run_jobs(self, jobs: list[JobExecutorInterface]) -> None:
        if self._main_event_loop is None:
            with contextlib.suppress(RuntimeError):
                self._main_event_loop = asyncio.get_running_loop()
        for job in jobs:
            self.run_job_pre(job)
        with self._lock:
            self._backlog.extend(jobs)
        self._schedule_flush(self._batch_seconds)

    def run_job(self, job: JobExecutorInterface) -> None:
        self.run_jobs([job])

    def _report_job_submission_threadsafe(self, job_info: SubmittedJobInfo) -> None:
        if self._main_event_loop is not None:
            self._main_event_loop.call_soon_threadsafe(self.report_job_submission, job_info)
        else:
            self.report_job_submission(job_info)

    def _report_job_error_threadsafe(self, job_info: SubmittedJobInfo, msg: str) -> None:
        if self._main_event_loop is not None:
            self._main_event_loop.call_soon_threadsafe(self.report_job_error, job_info, msg)
        else:
            self.report_job_error(job_info, msg=msg)

    # --- status -------------------------------------------------------------------------------

    def _count_query(self) -> None:
        self.status_queries += 1

    async def check_active_jobs(
        self, active_jobs: list[SubmittedJobInfo]
    ) -> AsyncGenerator[SubmittedJobInfo, None]:
        initial = self._initial_interval
        for job_info in active_jobs:
            if adoption.is_finished_id(job_info.external_jobid):
                self.report_job_success(job_info)  # finished before this run (_adopt)
        active_jobs = [j for j in active_jobs if not adoption.is_finished_id(j.external_jobid)]
        if not active_jobs:
            self.next_seconds_between_status_checks = initial
            return
        self.status_cycles += 1
        ids = {_arrays.parent_of(str(info.external_jobid)) for info in active_jobs}
        for info in active_jobs:
            argv = info.aux.get("cluster_utils_argv")
            if argv:
                self._outage.watch(_arrays.experiment_of(argv))
        async with self.status_rate_limiter:
            statuses = await asyncio.to_thread(_status.query, ids, self._count_query)
        if statuses is None:
            self._outage.note_failure(f"{len(active_jobs)} jobs are waited for")
        else:
            self._outage.note_success()
        if statuses is not None:
            # jobs no node can ever hold would wait forever: removed here and reported as failed
            # below (as Slurm refuses such a job at submission)
            never = [
                str(info.external_jobid)
                for info in active_jobs
                if (found := statuses.get(str(info.external_jobid))) and found.never_runs
            ]
            if never:
                await asyncio.to_thread(self._delete, never)
        any_finished = False
        for job_info in active_jobs:
            external_id = str(job_info.external_jobid)
            status = None
            if statuses is not None:
                status = statuses.get(external_id)
                if status is None:
                    lost = self._lost(job_info)
                    if lost is None:
                        yield job_info
                    continue
                self._unknown_cycles.pop(external_id, None)
            if status is None or (status.active and not status.never_runs):
                yield job_info
                continue
            any_finished = True
            with self._lock:
                self._in_flight.discard(external_id)
                self._limit_hit = False
            if status.succeeded:
                self.report_job_success(job_info)
                self._remove_log(job_info)
            elif self._asked_to_resume(job_info, status):
                again = await asyncio.to_thread(self.resubmit, job_info)
                if isinstance(again, SubmittedJobInfo):
                    self.logger.info(
                        f"cluster_utils: Snakemake job {job_info.job.jobid} asked to be resumed "
                        f"(exit_for_resume); submitted again as PBS job {again.external_jobid}"
                    )
                    yield again
                else:
                    self.report_job_error(job_info, msg=f"resubmission for resume: {again}")
            else:
                self.report_job_error(
                    job_info,
                    msg=self.failure_message(job_info, status),
                    aux_logs=[str(job_info.aux.get("pbs_logfile"))],
                )
        current = self.next_seconds_between_status_checks or initial
        if any_finished or statuses is None:
            self.next_seconds_between_status_checks = initial
        else:
            self.next_seconds_between_status_checks = min(
                self._max_status_interval, current + initial
            )
        if any_finished and self._backlog:
            self._schedule_flush(0.0)

    def _lost(self, job_info: SubmittedJobInfo) -> str | None:
        """A job the answering server does not know (yet): None while it may still show up;
        after UNKNOWN_CYCLES cycles it is reported (and why returned): as succeeded if its
        runner recorded it finished, else as failed."""
        external_id = str(job_info.external_jobid)
        cycles = self._unknown_cycles.get(external_id, 0) + 1
        self._unknown_cycles[external_id] = cycles
        if cycles < UNKNOWN_CYCLES:
            return None
        with self._lock:
            self._in_flight.discard(external_id)
        runner_job = runner_job_of(job_info.aux.get("cluster_utils_argv"))
        if runner_job and finished_on_disk([(external_id, *runner_job)]):
            # e.g. it ended while the server was down, which then kept no history of it: the
            # runner's record of its end stands
            self.report_job_success(job_info)
            self._remove_log(job_info)
            return f"PBS no longer knows job {external_id}; its runner recorded it finished"
        reason = (
            f"PBS no longer knows job {external_id} (is job history on? qmgr -c 'set server "
            "job_history_enable=true')"
        )
        self.report_job_error(job_info, msg=reason)
        return reason

    def _asked_to_resume(self, job_info: SubmittedJobInfo, status: _status.JobStatus) -> bool:
        """The runner ended with exit code 3 and recorded the job as pending (exit_for_resume
        within max_resumes): it is to run again."""
        argv = job_info.aux.get("cluster_utils_argv")
        job_id = _arrays.job_id_of(argv) if argv else None
        if status.exit_status != RETURN_CODE_FOR_RESUME or job_id is None:
            return False
        state = job_state.load_state(ExperimentLayout.at(_arrays.experiment_of(argv)), job_id)
        return state.status == job_state.PENDING

    def _remove_log(self, job_info: SubmittedJobInfo) -> None:
        if self.workflow.executor_settings.keep_successful_logs:
            return
        logfile = job_info.aux.get("pbs_logfile")
        if logfile is not None:
            with contextlib.suppress(OSError):
                Path(logfile).unlink(missing_ok=True)

    def failure_message(self, job_info: SubmittedJobInfo, status: _status.JobStatus) -> str:
        """Why the job failed: the runner's reason and stderr tail where it recorded one, else
        PBS's (walltime, memory, qdel), which is then recorded for the job."""
        pbs_reason = _status.failure_reason(status)
        argv = job_info.aux.get("cluster_utils_argv")
        job_id = _arrays.job_id_of(argv) if argv else None
        if job_id is None:
            return f"PBS job '{job_info.external_jobid}' failed: {pbs_reason}. "
        return scheduler_failure_message(
            Path(_arrays.experiment_of(argv)), job_id, "PBS", pbs_reason
        )

    # --- end of run ---------------------------------------------------------------------------

    def cancel_jobs(self, active_jobs: list[SubmittedJobInfo]) -> None:
        self._cancel_flush(drop_backlog=True)
        if self._starting_process.gone(len(active_jobs)):
            return
        ids = sorted(
            str(info.external_jobid)
            for info in active_jobs
            if not adoption.is_finished_id(info.external_jobid)
        )
        self._delete(ids)
        if ids:
            self.logger.info(f"cluster_utils: deleted {len(ids)} PBS jobs of this run (qdel)")

    @staticmethod
    def _delete(ids: list[str]) -> None:
        """qdel these jobs (best effort, QDEL_CHUNK ids per call)."""
        for start in range(0, len(ids), QDEL_CHUNK):
            chunk = ids[start : start + QDEL_CHUNK]
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    ["qdel", *chunk], capture_output=True, text=True, timeout=120, check=False
                )

    def shutdown(self) -> None:
        self._cancel_flush()
        self._job_submission_executor.shutdown(wait=True)
        super().shutdown()
        self.logger.info(
            f"cluster_utils: {self.qsub_calls} qsub calls ({self.subjobs_submitted} jobs, "
            f"{self.resubmitted} resubmitted for resume), {self.status_queries} qstat calls in "
            f"{self.status_cycles} status cycles; {self._adoptions.adopted} jobs adopted from "
            "earlier runs"
        )
        self._outage.close()
        summary = self._adoptions.summary("PBS")
        if summary:
            self.logger.info(summary)
