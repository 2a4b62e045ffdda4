"""The executor itself; see the package docstring."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass, field
from os import makedirs
from os.path import join, realpath
from typing import Any

import snakemake_executor_plugin_htcondor as _htcondor_plugin
from snakemake_executor_plugin_htcondor import ExecutorSettings as _HTCondorSettings
from snakemake_executor_plugin_htcondor import JobState, JobStatus
from snakemake_executor_plugin_htcondor import common_settings as _htcondor_common_settings
from snakemake_interface_common.exceptions import WorkflowError
from snakemake_interface_executor_plugins.executors.base import SubmittedJobInfo
from snakemake_interface_executor_plugins.jobs import JobExecutorInterface
from snakemake_interface_executor_plugins.utils import format_cli_arg

from cluster_utils.backends import get_backend
from cluster_utils.scheduler import adoption
from cluster_utils.scheduler.adoption import AdoptionCounts
from cluster_utils.scheduler.outage import SchedulerOutage
from cluster_utils.scheduler.starting_process import StartingProcess
from cluster_utils.scheduler.status_sleep import InterruptibleStatusSleep
from cluster_utils.scheduler.unfinished_jobs import CancelsUnfinishedJobs

from . import _adopt, _failures, _schedd, _unmatched

backend = get_backend("htcondor")

#: Default seconds a job may stay idle before it is checked for being unmatchable.
DEFAULT_UNMATCHED_TIMEOUT = 600


@dataclass
class ExecutorSettings(_HTCondorSettings):
    unmatched_timeout: int | None = field(
        default=DEFAULT_UNMATCHED_TIMEOUT,
        metadata={
            "help": "Seconds a job may stay idle before it is checked against the pool's "
            "machines; if no machine could ever match it (e.g. CUDA capability or hostnames), "
            "it is removed and reported as failed. 0 disables the check.",
            "required": False,
            "type": int,
        },
    )
    submit_bid_timeout: int | None = field(
        default=15,
        metadata={
            "help": "Timeout in seconds of one condor_submit_bid call (retried up to 10 times, "
            "as cluster_utils 3.0 did). Only used where condor_submit_bid exists.",
            "required": False,
            "type": int,
        },
    )

    schedd_probe_seconds: int | None = field(
        default=int(_schedd.PROBE_SECONDS),
        metadata={
            "help": "Seconds between two checks that the schedd answers (a condor_q that lists "
            "nothing) while it does; while it does not, every status check asks. When it stops "
            "answering, and when it answers again, one line says so.",
            "required": False,
            "type": int,
        },
    )


common_settings = _htcondor_common_settings


class Executor(CancelsUnfinishedJobs, InterruptibleStatusSleep, _htcondor_plugin.Executor):
    def __post_init__(self) -> None:
        super().__post_init__()
        settings = self.workflow.executor_settings
        self._job_in_submission: JobExecutorInterface | None = None
        self._unmatched_timeout = int(settings.unmatched_timeout or 0)
        self._last_unmatched_check = 0.0
        self._bid_command = backend.submit_bid_command()
        self._bid_timeout = int(settings.submit_bid_timeout or 15)
        self._warned_no_wrapper = False
        self._override_warnings = backend.OverrideWarnings(self.logger.warning)
        # the driver that started this Snakemake; when it is gone, cancel_jobs removes nothing
        self._starting_process = StartingProcess("HTCondor jobs", self.logger.warning)
        self._earlier_runs = _adopt.EarlierRuns()
        self._queue_unknown_warned = False
        #: adopted HTCondor jobs (ClusterIds); those writing to another event log than ours
        self._adopted_elsewhere: set[int] = set()
        self._adoptions = AdoptionCounts()
        #: one line when the schedd stops answering, one when it answers again (_schedd)
        self._outage = SchedulerOutage("HTCondor schedd", self.logger.warning)
        self._last_schedd_probe = float("-inf")
        self._probe_seconds = float(settings.schedd_probe_seconds or _schedd.PROBE_SECONDS)
        if self._bid_command:
            self.logger.info(
                f"cluster_utils: jobs with a bid are submitted with {self._bid_command} <bid>"
            )
        else:
            self.logger.info(
                f"cluster_utils: {backend.SUBMIT_BID_COMMAND} not found; jobs are submitted "
                f"through the schedd (the bid is recorded as {backend.BID_ATTRIBUTE})"
            )

    # --- submission ---------------------------------------------------------------------------

    def run_job(self, job: JobExecutorInterface) -> None:
        if self._adopt(job):
            return
        self._job_in_submission = job
        bid = job.resources.get(f"classad_{backend.BID_ATTRIBUTE}")
        try:
            if self._bid_command and bid is not None:
                with self._submit_with_bid(int(bid)):
                    super().run_job(job)
            else:
                super().run_job(job)
        finally:
            self._job_in_submission = None

    def _log_resource_requests(self, submit_dict: dict) -> None:
        # called by the plugin's run_job with the final submit dict, right before submission
        job = self._job_in_submission
        if job is not None:
            self._add_cluster_utils_commands(job, submit_dict)
        super()._log_resource_requests(submit_dict)

    def get_job_args(self, job: JobExecutorInterface) -> str:
        # Snakemake's jobs wait for the driver's temporary directory (.snakemake/tmp.*) to show
        # up; the driver deletes it when it ends, even when killed, so a job that started after
        # its driver was gone ended at once with exit code 0 without running. Our jobs keep
        # nothing there: they wait only for their input files.
        args = super().get_job_args(job)
        waits = list(job.get_wait_for_files())
        with_tmpdir = format_cli_arg("--wait-for-files", [self.tmpdir, *waits])
        return args.replace(with_tmpdir, format_cli_arg("--wait-for-files", waits))

    def _add_cluster_utils_commands(self, job: JobExecutorInterface, submit_dict: dict) -> None:
        resources = {key: job.resources.get(key) for key in job.resources.keys()}  # noqa: SIM118
        runner_job = adoption.runner_job(job)
        if runner_job is not None:  # so that a rerun finds it (_adopt)
            submit_dict.update(_adopt.submit_attributes(*runner_job))
            self._outage.watch(runner_job[0])
        args = str(submit_dict.get("arguments", ""))
        wrapped = submit_dict.get("executable") == sys.executable and args.startswith(
            "-m snakemake "
        )
        if wrapped:
            submit_dict["arguments"] = f"{backend.WRAPPER_ARGUMENTS} {args}"
        elif not self._warned_no_wrapper:
            self._warned_no_wrapper = True
            self.logger.warning(
                "cluster_utils: jobs use a job_wrapper; exit_for_resume re-runs the script "
                "inside the same HTCondor job instead of holding and releasing it"
            )
        backend.complete_submit_commands(
            submit_dict, resources, resume=wrapped, warnings=self._override_warnings
        )

    @contextlib.contextmanager
    def _submit_with_bid(self, bid: int) -> Iterator[None]:
        """Let the plugin's ``htcondor.Schedd().submit(...)`` go through condor_submit_bid."""
        real = _htcondor_plugin.htcondor
        _htcondor_plugin.htcondor = _BidSubmitModule(  # type: ignore[assignment]
            real, self._bid_command or "", bid, join(self.jobDir, "submit"), self._bid_timeout
        )
        try:
            yield
        finally:
            _htcondor_plugin.htcondor = real

    # --- jobs that earlier runs left in the pool (_adopt) -------------------------------------

    def _adopt(self, job: JobExecutorInterface) -> bool:
        """Register the job under what an earlier run left (an HTCondor job still in the queue,
        or a finished state.json) instead of submitting it; False: submit it."""
        runner_job = adoption.runner_job(job)
        if runner_job is None:
            return False
        experiment, job_id = runner_job
        self._outage.watch(experiment)
        try:
            found = self._earlier_runs.adoption(experiment, job_id)
        except LookupError as exc:
            if not self._queue_unknown_warned:
                self._queue_unknown_warned = True
                self.logger.warning(
                    f"cluster_utils: {exc}; jobs not known to have finished are submitted again"
                )
            return False
        if found is None:
            return False
        queued = found.queued
        if queued is None or adoption.already_finished(experiment, job_id):
            adoption.restore_done_marker(job)
        if queued is None:
            self._adoptions.already_finished += 1
            self.logger.info(
                f"cluster_utils: job {job_id} already finished (its state.json says so); "
                "not submitted again"
            )
            external_id: int | str = adoption.finished_id(job_id)
        else:
            for duplicate in found.duplicates:
                self._remove(
                    duplicate.cluster_id,
                    f"cluster_utils: duplicate of HTCondor job {queued.cluster_id} (job {job_id})",
                )
            self._adoptions.adopted += 1
            if queued.user_log != realpath(self._unified_log_file):
                self._adopted_elsewhere.add(queued.cluster_id)
            self.logger.info(
                f"cluster_utils: job {job_id} adopted from an earlier run, still in the pool as "
                f"HTCondor job {queued.cluster_id} ({queued.status_name}); not submitted again"
            )
            external_id = queued.cluster_id
        self.report_job_submission(SubmittedJobInfo(job=job, external_jobid=external_id))
        return True

    def _try_read_job_log(self, cluster_id: int) -> JobState | None:
        if cluster_id in self._adopted_elsewhere:
            # an adopted job writing to another run's event log: ask the schedd and its history
            self._log_missing_counts[cluster_id] = self._log_missing_threshold
            return None
        return super()._try_read_job_log(cluster_id)

    def cancel_jobs(self, active_jobs: list[SubmittedJobInfo]) -> None:
        active_jobs = [j for j in active_jobs if not adoption.is_finished_id(j.external_jobid)]
        if self._starting_process.gone(len(active_jobs)):
            active_jobs = []
        super().cancel_jobs(active_jobs)

    def shutdown(self) -> None:
        self._outage.close()
        super().shutdown()
        summary = self._adoptions.summary("the pool")
        if summary:
            self.logger.info(summary)

    # --- failures -----------------------------------------------------------------------------

    def report_job_error(self, job_info: SubmittedJobInfo, msg: str | None = None, **kwargs: Any):
        # a cluster_utils job: its reason and stderr tail, recorded for the run's summary
        if msg is not None:
            msg = _failures.failure_message(job_info.job, msg)
        super().report_job_error(job_info, msg=msg, **kwargs)

    # --- status -------------------------------------------------------------------------------

    async def check_active_jobs(
        self, active_jobs: list[SubmittedJobInfo]
    ) -> AsyncGenerator[SubmittedJobInfo, None]:
        # Snakemake starts the status thread *before* __post_init__ and calls this with no jobs
        # right away: touching attributes set in __post_init__ then kills that thread (silently),
        # and the run hangs once jobs are submitted. Nothing to do without jobs anyway.
        if not active_jobs:
            return
        await self._probe_schedd()
        for job_info in active_jobs:
            if adoption.is_finished_id(job_info.external_jobid):
                self.report_job_success(job_info)  # already finished (_adopt)
        active_jobs = [j for j in active_jobs if not adoption.is_finished_id(j.external_jobid)]
        unmatched = self._find_unmatched(active_jobs)
        remaining = []
        for job_info in active_jobs:
            reason = unmatched.get(int(job_info.external_jobid))
            if reason is None:
                remaining.append(job_info)
                continue
            self._remove(job_info.external_jobid, "cluster_utils: no machine can match the job")
            self._cleanup_job_tracking(job_info.external_jobid)
            self.report_job_error(
                job_info,
                msg=f"HTCondor job {job_info.external_jobid} was idle for more than "
                f"{self._unmatched_timeout} s and is unmatched: {reason}",
            )
        async for job_info in super().check_active_jobs(remaining):
            yield job_info

    async def _probe_schedd(self) -> None:
        """Ask the schedd whether it answers (every status check during an outage)."""
        now = time.monotonic()
        if not self._outage.ongoing and now - self._last_schedd_probe < self._probe_seconds:
            return
        self._last_schedd_probe = now
        asked_at = time.time()
        problem = await _schedd.schedd_problem()
        if problem:
            self._outage.note_failure(problem, asked_at=asked_at)
        else:
            self._outage.note_success()

    def _report_and_resolve_job_state(
        self, current_job: SubmittedJobInfo, job_state: JobState
    ) -> SubmittedJobInfo | None:
        result = super()._report_and_resolve_job_state(current_job, job_state)
        if result is None and job_state.status == JobStatus.HELD:
            # failed after held-timeout: out of the queue, so that no rerun adopts it
            self._remove(current_job.external_jobid, "cluster_utils: held longer than held-timeout")
        return result

    def _find_unmatched(self, active_jobs: list[SubmittedJobInfo]) -> dict[int, str]:
        if self._unmatched_timeout <= 0 or not active_jobs:
            return {}
        interval = min(60.0, max(5.0, self._unmatched_timeout / 2))
        if time.time() - self._last_unmatched_check < interval:
            return {}
        self._last_unmatched_check = time.time()
        try:
            return _unmatched.find_unmatched_jobs(
                [int(j.external_jobid) for j in active_jobs], self._unmatched_timeout
            )
        except Exception as exc:  # the check must never break the run
            self.logger.warning(f"cluster_utils: checking for unmatched jobs failed: {exc}")
            return {}

    def _remove(self, cluster_id: int, reason: str) -> None:
        # condor_rm, not the bindings: see _unmatched.find_unmatched_jobs (status thread)
        try:
            subprocess.run(
                ["condor_rm", "-reason", reason, str(cluster_id)],
                capture_output=True,
                timeout=60,
                check=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            self.logger.warning(f"cluster_utils: removing HTCondor job {cluster_id} failed: {exc}")


# --- condor_submit_bid ---------------------------------------------------------------------------


@dataclass
class _SubmitResult:
    cluster_id: int

    def cluster(self) -> int:
        return self.cluster_id


class _BidSchedd:
    def __init__(self, schedd: Any, command: str, bid: int, submit_dir: str, timeout: int):
        self._schedd, self._command, self._bid = schedd, command, bid
        self._submit_dir, self._timeout = submit_dir, timeout

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schedd, name)

    def submit(self, description: Any, *args: Any, **kwargs: Any) -> _SubmitResult:
        text = str(description)
        if not re.search(r"(?im)^\s*queue\b", text):
            text += "queue\n"
        makedirs(self._submit_dir, exist_ok=True)
        path = join(self._submit_dir, f"{uuid.uuid4().hex}.sub")
        with open(path, "w") as handle:
            handle.write(text)
        cmd = [self._command, str(self._bid), "-terse", path]
        last_error = ""
        for _ in range(10):  # 3.0: 15 s timeout, up to 10 tries
            try:
                result = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=self._timeout, check=False
                )
            except subprocess.TimeoutExpired:
                last_error = f"timed out after {self._timeout} s"
                continue
            match = re.search(r"(\d+)\.\d+", result.stdout) or re.search(
                r"submitted to cluster (\d+)", result.stdout
            )
            if result.returncode == 0 and match:
                return _SubmitResult(int(match.group(1)))
            last_error = f"exit code {result.returncode}: {result.stderr.strip()[-500:]}"
            time.sleep(1)
        raise WorkflowError(f"{' '.join(cmd)} failed: {last_error}")


class _BidSubmitModule:
    """Stands in for the plugin's ``htcondor`` module while one job is submitted."""

    def __init__(self, real: Any, command: str, bid: int, submit_dir: str, timeout: int):
        self._real, self._args = real, (command, bid, submit_dir, timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def Schedd(self, *args: Any, **kwargs: Any) -> _BidSchedd:
        return _BidSchedd(self._real.Schedd(*args, **kwargs), *self._args)
