"""Lifecycle of one job: run its script (again after each resume request) and record the outcome.

A job succeeds when its script exits 0 and has written ``metrics.csv`` during this run. Anything
else -- a non-zero exit, a signal, no metrics -- is a failure with a reason and the tail of the
job's stderr, both kept in ``jobs/<id>/state.json``. Exit code 3 (``exit_for_resume``) starts the
script again with the same parameters and working directory and is not a failure.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from cluster_utils.base import constants, job_protocol
from cluster_utils.experiment import job_state
from cluster_utils.experiment.job_state import Attempt, JobState
from cluster_utils.experiment.launch_spec import LaunchSpec
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.runner.forked_job import can_fork
from cluster_utils.runner.liveness import settle_lost_run
from cluster_utils.runner.local_gpus import job_gpus
from cluster_utils.runner.process import AttemptRunner, Interrupted, job_argv, job_environment
from cluster_utils.runner.process_group import start_ticks
from cluster_utils.runner.resume import resume_delay, scheduler_resume_exit_code
from cluster_utils.runner.time_limit import exceeded_reason, time_limit_seconds

EXIT_FAILED = 1
#: exit code of a job that was not started because the run was aborted
EXIT_ABORTED = 75
#: a job of a chunk asked to be resumed and goes behind the chunk's pending jobs
EXIT_DEFERRED = 76
STDERR_TAIL_LINES = 20
#: 3.0's abort rule: stop when failed > successful + running + ABORT_MARGIN
ABORT_MARGIN = 5
#: "0" turns the runner's abort rule off (hp_optimization's driver applies the rule itself)
ABORT_RULE_ENV_VAR = "CLUSTER_UTILS_ABORT_RULE"


def abort_rule_enabled() -> bool:
    return os.environ.get(ABORT_RULE_ENV_VAR, "1") != "0"


def read_tail(path: Path, lines: int = STDERR_TAIL_LINES, max_bytes: int = 16384) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read()
    except FileNotFoundError:
        return ""
    return "\n".join(data.decode(errors="replace").splitlines()[-lines:])


def scheduler_job_id() -> str | None:
    """The Slurm job (array task), HTCondor job or PBS job (array subjob) this attempt runs in,
    for provenance."""
    env = os.environ
    if "SLURM_JOB_ID" in env:
        task = env.get("SLURM_ARRAY_TASK_ID")
        array = env.get("SLURM_ARRAY_JOB_ID")
        return f"{array}_{task}" if array and task else env["SLURM_JOB_ID"]
    if env.get("PBS_JOBID"):
        return env["PBS_JOBID"]
    job_ad = env.get("_CONDOR_JOB_AD")
    if job_ad:
        try:
            with open(job_ad) as f:
                ad = dict(line.partition(" = ")[::2] for line in f if " = " in line)
            return f"{ad['ClusterId'].strip()}.{ad['ProcId'].strip()}"
        except (OSError, KeyError):
            return None
    return None


def describe_exit(return_code: int) -> str:
    if return_code < 0:
        try:
            name = signal.Signals(-return_code).name
        except ValueError:
            name = str(-return_code)
        return f"killed by signal {name}"
    return f"exited with code {return_code}"


class JobRunner:
    def __init__(self, experiment_dir: Path, job_id: int, *, defer_resumes: bool = False) -> None:
        self.layout = ExperimentLayout.at(experiment_dir)
        self.job_id = job_id
        #: a local resume request ends this run with EXIT_DEFERRED (other jobs are waiting)
        self.defer_resumes = defer_resumes
        self.working_dir = self.layout.working_dir(job_id)
        self.metrics_file = self.working_dir / constants.CLUSTER_METRIC_FILE

    # -- helpers ---------------------------------------------------------------------------
    def _log(self, message: str, level: str = "INFO") -> None:
        job_state.log_line(self.layout, message, level)

    def _mark_done(self) -> None:
        self.layout.done_marker(self.job_id).touch()

    def _abort_reason(self) -> str | None:
        if not abort_rule_enabled():
            return None
        try:
            return self.layout.abort_file.read_text().strip() or "run aborted"
        except FileNotFoundError:
            return None

    def _check_abort_rule(self) -> None:
        if not abort_rule_enabled():
            return
        counts = job_state.count_status(self.layout)
        failed, ok, running = counts["failed"], counts["succeeded"], counts["running"]
        if failed > ok + running + ABORT_MARGIN:
            message = (
                f"Too many ({failed}) jobs failed (successful: {ok}, running: {running}); "
                "no further jobs are started. Fix the problem and run the same command again: "
                "only failed and missing jobs will run."
            )
            job_protocol.atomic_write_text(self.layout.abort_file, message + "\n")

    def _fail(self, state: JobState, reason: str, return_code: int | None) -> int:
        tail = read_tail(self.layout.stderr_file(self.job_id))
        state.status = job_state.FAILED
        state.reason = reason
        state.return_code = return_code
        state.stderr_tail = tail
        job_state.save_state(self.layout, state)
        self._log(f"Job {self.job_id} failed: {reason}. Considering job failed.", "WARNING")
        shown = "\n".join(f"    {line}" for line in tail.splitlines()) or "    (stderr is empty)"
        print(
            f"cluster_utils: job {self.job_id} failed: {reason}\n"
            f"  logs: {self.layout.job_dir(self.job_id)}/stderr.log\n"
            f"  last lines of stderr:\n{shown}",
            file=sys.stderr,
            flush=True,
        )
        self._check_abort_rule()
        return EXIT_FAILED

    # -- main ------------------------------------------------------------------------------
    def run(self) -> int:
        job_dir = self.layout.job_dir(self.job_id)
        job_dir.mkdir(parents=True, exist_ok=True)
        # One runner per job at a time: an orphan from a killed run finishes first.
        with open(job_dir / "lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._run_locked()

    def _run_locked(self) -> int:
        state = job_state.load_state(self.layout, self.job_id)
        if state.status == job_state.RUNNING:  # we hold the lock: its runner died
            settle_lost_run(self.layout, state)
        not_started = self._exit_without_running(state)
        if not_started is not None:
            return not_started
        spec = self._load_spec()
        gpus = job_gpus(self.layout, self.job_id)  # held until the job ends
        state.gpus = list(gpus.devices) if gpus else None
        runner = self._attempt_runner(spec, gpus.devices if gpus else None)
        if not state.attempts:
            self._log(f"Job with id {self.job_id} submitted.")
        run_started = time.time()
        state.reason = state.return_code = state.stderr_tail = None
        state.warnings = []
        try:
            if spec.pre_job_script:
                self._run_pre_job_script(state, spec.pre_job_script, runner)
            return self._run_attempts(state, spec, runner, run_started)
        except Interrupted as interrupted:
            return self._interrupted(state, runner, interrupted)
        finally:
            runner.close()
            if gpus is not None:
                gpus.release()

    def _exit_without_running(self, state: JobState) -> int | None:
        """The exit code when the job must not run (finished before, run aborted), else None."""
        if job_state.is_finished(self.layout, state):
            self._mark_done()
            print(f"cluster_utils: job {self.job_id} already finished; not run again", flush=True)
            return 0
        abort = self._abort_reason()
        if abort:
            print(f"cluster_utils: job {self.job_id} not started: {abort}", file=sys.stderr)
            return EXIT_ABORTED
        return None

    def _load_spec(self) -> LaunchSpec:
        with open(self.layout.launch_spec) as f:
            return LaunchSpec.from_json(json.load(f))

    def _attempt_runner(self, spec: LaunchSpec, gpus: tuple[str, ...] | None) -> AttemptRunner:
        return AttemptRunner(
            spec,
            job_environment(spec, self.job_id, gpus),
            self.layout.stdout_file(self.job_id),
            self.layout.stderr_file(self.job_id),
            stop_request=self.layout.stop_request(self.job_id),
            final_metrics=job_protocol.protocol_file(
                self.working_dir, job_protocol.FINAL_METRICS_FILE
            ),
        )

    def _run_pre_job_script(self, state: JobState, script: str, runner: AttemptRunner) -> None:
        """Run environment_setup.pre_job_script. As in 3.0 (a bash job script without ``set -e``)
        its failure is a warning: recorded in state.json, stderr.log and cluster_run.log."""
        code = runner.run([script], keep_leftovers=True)
        if code == 0:
            return
        warning = (
            f"pre_job_script {describe_exit(code)} (a warning only: the job runs anyway, as in 3.0)"
        )
        state.warnings.append(warning)
        runner.note(f"WARNING: {warning}")
        self._log(f"Job {self.job_id}: {warning}", "WARNING")

    def _run_attempts(
        self, state: JobState, spec: LaunchSpec, runner: AttemptRunner, run_started: float
    ) -> int:
        """Run the script until it does not ask to be resumed (or the scheduler takes over)."""
        argv = job_argv(spec, self.layout.params_file(self.job_id))
        fork = can_fork(spec)
        try:  # where a scheduler runs the job, it enforces request_time itself
            limit = None if scheduler_job_id() else time_limit_seconds(spec)
        except ValueError as error:
            return self._fail(state, str(error), None)
        while True:
            attempt = self._start_attempt(state)
            code = runner.run(argv, fork=fork, time_limit=limit, watch=self._heartbeat(state))
            attempt.end = time.time()
            attempt.return_code = code
            if runner.stop_signal is not None:
                raise Interrupted(runner.stop_signal)
            if runner.timed_out:
                state.resumes_in_a_row = 0
                return self._fail(state, exceeded_reason(spec), code)
            if code != constants.RETURN_CODE_FOR_RESUME:
                state.resumes_in_a_row = 0
                return self._record_outcome(state, code, run_started)
            exit_code = self._resume(state, attempt, spec.max_resumes)
            if exit_code is not None:
                return exit_code
            if self.defer_resumes:
                state.status = job_state.PENDING
                job_state.save_state(self.layout, state)
                return EXIT_DEFERRED
            runner.pause(resume_delay(state.resumes_in_a_row, attempt.end - attempt.start))

    def _start_attempt(self, state: JobState) -> Attempt:
        hostname = socket.gethostname()
        attempt = Attempt(start=time.time(), hostname=hostname)
        state.add_attempt(attempt)
        state.status = job_state.RUNNING
        state.hostname = hostname
        state.scheduler_job_id = scheduler_job_id()
        state.runner_pid = os.getpid()
        self._log(f"Job {self.job_id} started on hostname {hostname}")
        return attempt  # saved once the script runs (_heartbeat)

    def _heartbeat(self, state: JobState) -> Callable[[int], None]:
        """Record in state.json that the job runs (its pid) and, later, that its runner lives."""

        def beat(pid: int) -> None:
            state.heartbeat = time.time()
            if state.job_pid == pid:
                job_state.save_state(self.layout, state, markers=False)
                return
            state.job_pid, state.job_start_ticks = pid, start_ticks(pid)
            job_state.save_state(self.layout, state)

        return beat

    def _resume(self, state: JobState, attempt: Attempt, max_resumes: int) -> int | None:
        """Record a resume request. None: run the script again here; else the runner's exit
        code (the job failed: too many resumes in a row, or the scheduler runs it again)."""
        job_protocol.clear_resume_request(self.working_dir)
        if state.resumes_in_a_row >= max_resumes:
            state.resumes_in_a_row = 0  # a new run of the command starts a new series
            reason = f"called exit_for_resume() more than max_resumes={max_resumes} times in a row"
            return self._fail(state, reason, constants.RETURN_CODE_FOR_RESUME)
        attempt.resumed = True
        state.resumes += 1
        state.resumes_in_a_row += 1
        self._log(f"Job {self.job_id} exited to be resumed.")
        exit_code = scheduler_resume_exit_code()
        if exit_code is not None:
            state.status = job_state.PENDING
            job_state.save_state(self.layout, state)
        return exit_code

    def _record_outcome(self, state: JobState, code: int, run_started: float) -> int:
        """Success (exit 0 and metrics written during this run) or failure with its reason."""
        if code == 0 and self._metrics_written_since(run_started):
            state.status = job_state.SUCCEEDED
            state.return_code = 0
            job_state.save_state(self.layout, state)
            self._mark_done()
            self._log(f"Job {self.job_id} finished successfully.")
            return 0
        if code == 0:
            return self._fail(
                state,
                "exited with code 0 but wrote no metrics.csv (finalize_job was not called)",
                0,
            )
        return self._fail(state, describe_exit(code), code)

    def _interrupted(self, state: JobState, runner: AttemptRunner, interrupted: Interrupted) -> int:
        if runner.stopped_on_request:
            return self._stopped_early(state)
        # not the job's fault: it runs again on the next run and does not count as failed
        if state.attempts and state.attempts[-1].end is None:
            state.attempts[-1].end = time.time()
        state.status = job_state.PENDING
        state.resumes_in_a_row = 0
        state.reason = f"interrupted by {interrupted}"
        job_state.save_state(self.layout, state)
        self._log(f"Job {self.job_id} was interrupted ({interrupted}).", "WARNING")
        return 128 + interrupted.signum

    def _stopped_early(self, state: JobState) -> int:
        """The driver asked to stop this job (kill_bad_jobs_early): done, but not successful."""
        if state.attempts and state.attempts[-1].end is None:
            state.attempts[-1].end = time.time()
        state.status = job_state.STOPPED_EARLY
        state.reason = "stopped early on the driver's request (kill_bad_jobs_early)"
        job_state.save_state(self.layout, state)
        self._mark_done()
        self._log(f"Job {self.job_id} was stopped early. Considering job failed.")
        return 0

    def _metrics_written_since(self, since: float) -> bool:
        try:
            return self.metrics_file.stat().st_mtime >= since - 1.0
        except FileNotFoundError:
            return False


def run_chunk(experiment_dir: Path, chunk: str) -> int:
    """Run the jobs of a chunk one after another; every job is run even if an earlier failed,
    and a job that asks to be resumed runs again after the chunk's other pending jobs."""
    from cluster_utils.experiment.chunks import read_chunk

    layout = ExperimentLayout.at(experiment_dir)
    outcome = 0
    pending = deque(read_chunk(layout, chunk))
    while pending:
        job_id = pending.popleft()
        # a job that asks to be resumed goes behind the others, so it cannot hold them up
        code = JobRunner(experiment_dir, job_id, defer_resumes=bool(pending)).run()
        if code == EXIT_DEFERRED:
            pending.append(job_id)
            continue
        if code == EXIT_ABORTED or code > 128:  # the run was aborted or interrupted
            return code
        outcome = outcome or code
    if outcome == 0:
        layout.chunk_marker(chunk).touch()
    return outcome


USAGE = "usage: python -m cluster_utils.runner EXPERIMENT_DIR (JOB_ID | --chunk NAME)"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[1] == "--chunk":
        return run_chunk(Path(args[0]), args[2])
    if len(args) != 2 or not args[1].isdigit():
        print(USAGE, file=sys.stderr)
        return 2
    return JobRunner(Path(args[0]), int(args[1])).run()
