"""The executor itself; see the package docstring."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator
from pathlib import Path

import snakemake_executor_plugin_slurm as _slurm_plugin
from snakemake_executor_plugin_slurm import common_settings as _slurm_common_settings
from snakemake_interface_executor_plugins.executors.base import SubmittedJobInfo
from snakemake_interface_executor_plugins.jobs import JobExecutorInterface

from cluster_utils.runner.scheduler_failures import scheduler_failure_message
from cluster_utils.scheduler import adoption, arrays
from cluster_utils.scheduler.adoption import AdoptionCounts
from cluster_utils.scheduler.outage import SchedulerOutage
from cluster_utils.scheduler.runner_records import finished_on_disk
from cluster_utils.scheduler.starting_process import StartingProcess
from cluster_utils.scheduler.status_sleep import InterruptibleStatusSleep
from cluster_utils.scheduler.unfinished_jobs import CancelsUnfinishedJobs

from . import _arrays, _limits, _status
from ._adopt import EarlierTask
from ._settings import ExecutorSettings
from ._submission import ArraySubmission

common_settings = _slurm_common_settings

#: seconds between two looks at the runners' records (a directory listing per experiment)
MARKER_CHECK_SECONDS = 0.25

__all__ = ["Executor", "ExecutorSettings", "common_settings"]


class Executor(
    CancelsUnfinishedJobs, InterruptibleStatusSleep, ArraySubmission, _slurm_plugin.Executor
):
    """snakemake-executor-plugin-slurm, with cluster_utils runner jobs submitted as arrays that
    run ``python -m cluster_utils.runner EXP JOB_ID`` directly, and one sacct per status cycle."""

    def __post_init__(self, test_mode: bool = False) -> None:
        super().__post_init__(test_mode)
        settings = self.workflow.executor_settings
        self._direct = not getattr(settings, "nested_snakemake", False)
        array_limit = int(getattr(settings, "array_limit", 0) or _limits.DEFAULT_MAX_ARRAY_SIZE)
        self._max_array_tasks = max(1, min(_limits.max_array_size(), array_limit))
        self._configured_cap = int(settings.submit_cap or 0)
        self._user_limit = _limits.user_submit_limit_in_background()
        self._resolved_cap: int | None = None
        self._max_running = int(settings.max_running_tasks or 0) or None
        batch = settings.batch_seconds
        self._batch_seconds = max(0.0, float(1.0 if batch is None else batch))
        self._max_status_interval = float(settings.max_seconds_between_status_checks or 180)
        #: sacct's own schedule: the interval backs off while nothing finishes
        self._sacct_interval = 0.0
        self._next_sacct = 0.0
        self._backlog: deque[JobExecutorInterface] = deque()
        self._flushed_once = False
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()  # backlog, in-flight set, flush timer
        self._flush_lock = threading.Lock()  # one submission round at a time
        self._flush_timer: threading.Timer | None = None
        self._limit_hit = False
        # a rerun adopts tasks of earlier runs (_adopt): per experiment, job -> its earlier task
        self._earlier: dict[str, dict[str, EarlierTask]] = {}
        self._status_runs: set[str] = set()  # earlier runs whose tasks were adopted
        self._adoptions = AdoptionCounts()
        #: one line when the controller (or sacct) stops answering, one when it answers again
        self._outage = SchedulerOutage("Slurm controller", self.logger.warning)
        # the driver that started this Snakemake; when it is gone, cancel_jobs cancels nothing
        self._starting_process = StartingProcess("Slurm jobs", self.logger.warning)
        #: groups of sbatch options (time, memory, ...) whose replacement was already reported
        self._replaced_reported: set[str] = set()
        self.sbatch_calls = 0
        self.array_tasks_submitted = 0
        self.status_queries = 0
        self.status_cycles = 0
        if shutil.which("sacct") is None or getattr(settings, "status_command", "") == "squeue":
            self.logger.warning(
                "cluster_utils: job status always comes from sacct (Slurm accounting); "
                "the status command setting is not used"
            )

    @property
    def _submit_cap(self) -> int:
        """At most this many of our jobs in Slurm (0: no cap): the profile's submit cap, lowered
        to the accounting database's per-user limit, which is read in the background from
        start-up on (two sacctmgr calls off the path to the first sbatch; it waits for them)."""
        if self._resolved_cap is None:
            caps = [self._configured_cap, self._user_limit.result() or 0]
            self._resolved_cap = min((c for c in caps if c > 0), default=0)
            if self._direct:
                self.logger.info(
                    "cluster_utils: runner jobs go out as Slurm arrays (at most "
                    f"{self._max_array_tasks} tasks per sbatch call, submit cap "
                    f"{self._resolved_cap or 'none'})"
                )
        return self._resolved_cap

    # --- which jobs take the direct path ------------------------------------------------------

    def runner_argv(self, job: JobExecutorInterface) -> list[str] | None:
        """The runner call a job consists of, or None for jobs that need Snakemake in the job."""
        return arrays.runner_call(job) if self._direct else None

    def run_jobs(self, jobs: list[JobExecutorInterface]) -> None:
        if self._main_event_loop is None:
            with contextlib.suppress(RuntimeError):
                self._main_event_loop = asyncio.get_running_loop()
        direct, other = [], []
        for job in jobs:
            (direct if self.runner_argv(job) is not None else other).append(job)
        if other:
            super().run_jobs(other)
        if not direct:
            return
        for job in direct:
            self.run_job_pre(job)
        with self._lock:
            self._backlog.extend(direct)
            # Snakemake hands every job that is ready at the start in one call: the first batch
            # goes out at once; later ones wait batch-seconds for jobs that become ready together
            first = not self._flushed_once
            self._flushed_once = True
        self._schedule_flush(0.0 if first else self._batch_seconds)

    # --- status -------------------------------------------------------------------------------

    async def _query_status(self) -> dict[str, _status.JobStatus] | None:
        """One sacct for every job of the run (None if it failed); a controller that does not
        answer ``scontrol ping``, or a failed sacct, is an outage (``self._outage``)."""
        asked_at = time.time()
        controller_problem = await self._ping_controller()
        statuses, sacct_problem = await self._sacct()
        problem = controller_problem or sacct_problem
        if problem:
            self._outage.note_failure(problem, asked_at=asked_at)
            self.logger.debug(f"cluster_utils: status query: {problem}")
        else:
            self._outage.note_success()
        return statuses

    async def _ping_controller(self) -> str | None:
        try:
            out, _, code = await _run(list(_status.PING_COMMAND), timeout=30)
        except (TimeoutError, OSError) as exc:
            return f"scontrol ping: {exc or 'timed out'}"
        return _status.controller_problem(code, out)

    async def _sacct(self) -> tuple[dict[str, _status.JobStatus] | None, str | None]:
        argv = _status.sacct_command(",".join([self.run_uuid, *sorted(self._status_runs)]))
        self.status_queries += 1
        try:
            out, err, code = await _run(argv, timeout=60)
        except (TimeoutError, OSError) as exc:
            return None, f"sacct: {exc or 'timed out'}"
        if code != 0:
            return None, f"{_status.format_command(argv)}: {err.strip()[-300:]}"
        return _status.parse_sacct(out), None

    async def check_active_jobs(
        self, active_jobs: list[SubmittedJobInfo]
    ) -> AsyncGenerator[SubmittedJobInfo, None]:
        """Jobs whose runner recorded that they finished are done at once (``runner_records``,
        checked every ``MARKER_CHECK_SECONDS``); sacct is asked about the others on its own
        schedule (``_next_sacct``): ``initial`` after it saw jobs end, backing off while it sees
        none end (as before), so fewer sacct calls than before, and none for the last jobs."""
        initial = self._initial_status_interval()
        for job_info in active_jobs:
            if adoption.is_finished_id(job_info.external_jobid):
                self.report_job_success(job_info)  # finished before this run (_adopt)
        active_jobs = [j for j in active_jobs if not adoption.is_finished_id(j.external_jobid)]
        finished = finished_on_disk(_runner_jobs(active_jobs))
        for job_info in active_jobs:
            if str(job_info.external_jobid) in finished:
                self._finished(job_info, None)
        remaining = [j for j in active_jobs if str(j.external_jobid) not in finished]
        any_finished = bool(finished)
        if remaining and time.monotonic() >= self._next_sacct:
            self.status_cycles += 1
            async with self.status_rate_limiter:
                statuses = await self._query_status()
            still = [j for j in remaining if self._still_active(j, statuses)]
            # only jobs that sacct saw end bring the next sacct closer: those that end as their
            # runners recorded need none, so sacct backs off while they do
            seen_ending = len(still) < len(remaining)
            any_finished = any_finished or seen_ending
            if seen_ending or statuses is None:
                self._sacct_interval = initial
            else:
                self._sacct_interval = min(
                    self._max_status_interval, self._sacct_interval + initial
                )
            self._next_sacct = time.monotonic() + self._sacct_interval
            remaining = still
        for job_info in remaining:
            yield job_info
        self.next_seconds_between_status_checks = min(MARKER_CHECK_SECONDS, initial)
        if any_finished and self._backlog:
            self._schedule_flush(0.0)

    def _initial_status_interval(self) -> float:
        settings = self.workflow.executor_settings
        return float(getattr(settings, "init_seconds_before_status_checks", 40) or 40)

    def _still_active(
        self, job_info: SubmittedJobInfo, statuses: dict[str, _status.JobStatus] | None
    ) -> bool:
        """Report the job if sacct says it ended; True if it is still pending or running."""
        status = None if statuses is None else statuses.get(str(job_info.external_jobid))
        if status is None or status.active:  # not in accounting yet, or still going
            return True
        if status.state == "NODE_FAIL":
            if status.node_list:
                self._failed_nodes.add(status.node_list)
            if self.workflow.executor_settings.requeue:  # Slurm requeues it
                return True
        self._finished(job_info, status)
        return False

    def _finished(self, job_info: SubmittedJobInfo, status: _status.JobStatus | None) -> None:
        """Report an ended job: ``status`` None when its runner recorded that it finished."""
        with self._lock:
            self._in_flight.discard(str(job_info.external_jobid))
            self._limit_hit = False
        if status is None or status.succeeded:
            self.report_job_success(job_info)
            self._remove_log(job_info)
        else:
            self.report_job_error(
                job_info,
                msg=self.failure_message(job_info, status),
                aux_logs=[str(job_info.aux.get("slurm_logfile"))],
            )

    def clean_old_logs(self) -> None:
        """The plugin's clean-up at shutdown (old logs, then every empty log directory), only
        when no job of this run is left in Slurm: a task still queued (a killed driver's run,
        adopted by the next) fails at its start when its log directory is gone."""
        if not self.unfinished_jobs():
            super().clean_old_logs()

    def _remove_log(self, job_info: SubmittedJobInfo) -> None:
        if self.workflow.executor_settings.keep_successful_logs:
            return
        logfile = job_info.aux.get("slurm_logfile")
        if logfile is not None:
            with contextlib.suppress(OSError):
                Path(logfile).unlink(missing_ok=True)

    def failure_message(self, job_info: SubmittedJobInfo, status: _status.JobStatus) -> str:
        """Why the job failed: the runner's reason and stderr tail where it recorded one, else
        Slurm's (timeout, memory, cancel, node failure), which is then recorded for the job."""
        slurm_reason = _status.failure_reason(status)
        argv = job_info.aux.get("cluster_utils_argv")
        job_id = _arrays.job_id_of(argv) if argv else None
        if job_id is None:
            return f"SLURM-job '{job_info.external_jobid}' failed: {slurm_reason}. "
        return scheduler_failure_message(
            Path(_arrays.experiment_of(argv)), job_id, "Slurm", slurm_reason
        )

    # --- end of run ---------------------------------------------------------------------------

    def cancel_jobs(self, active_jobs: list[SubmittedJobInfo]) -> None:
        active_jobs = [j for j in active_jobs if not adoption.is_finished_id(j.external_jobid)]
        self._cancel_flush(drop_backlog=True)
        if self._starting_process.gone(len(active_jobs)):
            return
        super().cancel_jobs(active_jobs)

    def shutdown(self) -> None:
        self._outage.close()
        self._cancel_flush()
        super().shutdown()
        if self._direct:
            self.logger.info(
                f"cluster_utils: {self.sbatch_calls} sbatch calls "
                f"({self.array_tasks_submitted} array tasks), {self.status_queries} status "
                f"queries in {self.status_cycles} status cycles; {self._adoptions.adopted} jobs "
                "adopted from earlier runs"
            )
        summary = self._adoptions.summary("Slurm")
        if summary:
            self.logger.info(summary)


def _runner_jobs(active_jobs: list[SubmittedJobInfo]) -> list[tuple[str, str, int]]:
    """``(external id, experiment, job id)`` of the active runner jobs."""
    found = []
    for job_info in active_jobs:
        runner_job = _arrays.runner_job_of(job_info.aux.get("cluster_utils_argv"))
        if runner_job is not None:
            found.append((str(job_info.external_jobid), *runner_job))
    return found


async def _run(argv: list[str], timeout: float) -> tuple[str, str, int]:
    """stdout, stderr and exit code of a command, without blocking the event loop."""
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    code = process.returncode or 0
    return out.decode(errors="replace"), err.decode(errors="replace"), code
