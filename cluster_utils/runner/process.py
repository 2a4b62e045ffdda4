"""Start one attempt of a job script and wait for it, forwarding signals to it."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cluster_utils.base import job_protocol
from cluster_utils.experiment.launch_spec import LaunchSpec
from cluster_utils.runner.driver_watch import process_alive, watched_driver_pid
from cluster_utils.runner.forked_job import ForkedJob, start_forked
from cluster_utils.runner.process_group import end_group
from cluster_utils.runner.time_limit import TimeLimit

#: signals passed on to the job script (USR1 is Slurm's "timeout is near" signal)
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)
#: signals after which the runner stops the job and gives up
STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
KILL_GRACE_SECONDS = 5.0
#: when this runner started (in a PBS job: about when the job started)
RUNNER_STARTED = time.time()
#: how often a running job's state.json records that its runner is alive
HEARTBEAT_SECONDS = 60.0


class Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def job_environment(
    spec: LaunchSpec, job_id: int, gpus: tuple[str, ...] | None = None
) -> dict[str, str]:
    """The job's environment; ``gpus``: the devices it has to itself (local runs)."""
    env = dict(os.environ)
    if spec.virtual_env_path:
        env["VIRTUAL_ENV"] = spec.virtual_env_path
        env["PATH"] = f"{spec.virtual_env_path}/bin{os.pathsep}{env.get('PATH', '')}"
        env.pop("PYTHONHOME", None)
    env.update(spec.variables)
    env.update(job_protocol.runner_environment(job_id))
    if gpus is not None:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(gpus)
    return env


def job_argv(spec: LaunchSpec, params_file: Path) -> list[str]:
    """The job's argv: the parameter file is one argv element, never part of a shell string."""
    argv = [*spec.command, str(params_file)]
    if spec.conda_env_path:
        flag = "-p" if os.sep in spec.conda_env_path else "-n"
        argv = ["conda", "run", "--no-capture-output", flag, spec.conda_env_path, *argv]
    if spec.container:
        argv = [*spec.container, *argv]
    return argv


class AttemptRunner:
    """Runs child processes with stdout/stderr appended to the job's log files."""

    def __init__(
        self,
        spec: LaunchSpec,
        env: dict[str, str],
        stdout: Path,
        stderr: Path,
        stop_request: Path | None = None,
        final_metrics: Path | None = None,
    ) -> None:
        self.spec = spec
        self.stop_request = stop_request
        #: the job's final_metrics.json: a job that has handed in its results is let finish
        #: when the driver dies (stopping it then would throw a finished result away)
        self.final_metrics = final_metrics
        self.stopped_on_request = False
        self.env = env
        self.stdout = stdout
        self.stderr = stderr
        self._child: subprocess.Popen[bytes] | ForkedJob | None = None
        self._limit: TimeLimit | None = None
        self._watch: Callable[[int], None] | None = None
        self._kept_groups: list[int] = []
        self._stop_signal: int | None = None
        self._driver_pid = watched_driver_pid()
        for signum in FORWARDED_SIGNALS:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if signum in STOPPING_SIGNALS:
            self._stop_signal = signum
        child = self._child
        if child is not None and child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signum)

    def run(
        self,
        argv: list[str],
        *,
        fork: bool = False,
        time_limit: float | None = None,
        watch: Callable[[int], None] | None = None,
        keep_leftovers: bool = False,
    ) -> int:
        """Run ``argv`` in its own process group and return its exit code.

        ``fork``: a Python script under this interpreter (forked_job.can_fork) runs in a forked
        copy of this process. ``time_limit`` (seconds): stopped at that limit (time_limit.py).
        ``watch(pid)`` is called once the process runs and every HEARTBEAT_SECONDS after.
        What the process leaves running in its group is stopped when it exits, or with
        ``keep_leftovers`` by :meth:`close` (a pre_job_script's helpers live as long as the job).
        """
        if self._stop_signal is not None:
            raise Interrupted(self._stop_signal)
        self._limit = (
            TimeLimit(time_limit, self.spec.timeout_signal_seconds) if time_limit else None
        )
        self._watch = watch
        with open(self.stdout, "ab") as out, open(self.stderr, "ab") as err:
            try:
                self._child = self._start_child(argv, fork, out.fileno(), err.fileno())
            except OSError as error:
                err.write(f"cluster_utils: cannot start {argv[0]!r}: {error}\n".encode())
                return 126 if isinstance(error, PermissionError) else 127
        if watch is not None:
            watch(self._child.pid)
        code = self._wait_with_timeout_signal()
        if keep_leftovers:
            self._kept_groups.append(self._child.pid)
        else:
            self._end_leftovers(self._child.pid)
        return code

    def close(self) -> None:
        """Stop what the processes run with ``keep_leftovers`` left running."""
        while self._kept_groups:
            self._end_leftovers(self._kept_groups.pop())

    def _end_leftovers(self, pgid: int) -> None:
        left = end_group(pgid)
        if left:
            self.note(f"stopped {left} process(es) left running in the job's process group")

    def _start_child(
        self, argv: list[str], fork: bool, out: int, err: int
    ) -> subprocess.Popen[bytes] | ForkedJob:
        if fork:
            return start_forked(argv[1], argv[2], self.spec.cwd, self.env, out, err)
        return self._start(argv, out, err)

    def _start(self, argv: list[str], out: int, err: int) -> subprocess.Popen[bytes]:
        """Start ``argv`` in its own process group. A file without a ``#!`` line (ENOEXEC) runs
        through bash, as the bash job scripts of cluster_utils 3.0 ran it."""
        for command in (argv, [self._bash(), *argv]):
            try:
                return subprocess.Popen(
                    command,
                    cwd=self.spec.cwd,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    process_group=0,  # own group: signals reach the script's children too
                )
            except OSError as error:
                if error.errno != errno.ENOEXEC or command is not argv:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _bash(self) -> str:
        return shutil.which("bash", path=self.env.get("PATH")) or "/bin/sh"

    def note(self, message: str) -> None:
        """Append a line from cluster_utils to the job's stderr.log."""
        with open(self.stderr, "ab") as err:
            err.write(f"cluster_utils: {message}\n".encode())

    @property
    def timed_out(self) -> bool:
        """Whether the last ``run`` was stopped at its time limit."""
        return self._limit is not None and self._limit.exceeded

    def _wait_with_timeout_signal(self) -> int:
        """Wait for the child; inside a Slurm or PBS job with signal_seconds_to_timeout, the child
        gets SIGUSR1 that many seconds before the job's time limit (see backends.slurm/pbs)."""
        timer = None
        if self._limit is None and self.spec.timeout_signal_seconds and self._child is not None:
            timer = self._arm_scheduler_timeout_signal(self._child.pid)
        try:
            return self._wait()
        finally:
            if timer is not None:
                timer.cancel()

    def _arm_scheduler_timeout_signal(self, pid: int) -> threading.Timer | None:
        from cluster_utils.backends import get_backend

        seconds = self.spec.timeout_signal_seconds
        assert seconds is not None
        if "SLURM_JOB_ID" in os.environ:
            slurm = get_backend("slurm")
            if slurm.in_slurm_job():
                return slurm.arm_timeout_signal(pid, seconds)
        if "PBS_JOBID" in os.environ:
            pbs = get_backend("pbs")
            if pbs.in_pbs_job():  # PBS has no --signal: our own timer from the job's start
                return pbs.arm_timeout_signal(pid, seconds, self.spec.request_time, RUNNER_STARTED)
        return None

    def pause(self, seconds: float) -> None:
        """Sleep between attempts; a stop (signal, dead driver, stop request) ends it at once and
        makes the next ``run`` raise Interrupted."""
        deadline = time.monotonic() + seconds
        while self._stop_signal is None and time.monotonic() < deadline:
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
            self._check_stop_conditions()

    def _check_stop_conditions(self) -> None:
        """Stop like on SIGTERM when the driver died or the driver asked to stop this job."""
        if (
            self._driver_pid
            and self._stop_signal is None
            and not process_alive(self._driver_pid)
            and not self._handed_in_results()
        ):
            self._on_signal(signal.SIGTERM, None)
        if (
            self.stop_request is not None
            and not self.stopped_on_request
            and self.stop_request.exists()
        ):
            self.stopped_on_request = True
            self._on_signal(signal.SIGTERM, None)

    def _handed_in_results(self) -> bool:
        """Whether the job wrote its final metrics during this runner's life (finalize_job)."""
        if self.final_metrics is None:
            return False
        try:
            return self.final_metrics.stat().st_mtime >= RUNNER_STARTED
        except OSError:
            return False

    def _wait(self) -> int:
        child = self._child
        assert child is not None
        deadline: float | None = None
        next_beat = time.monotonic() + HEARTBEAT_SECONDS
        while True:
            tick = 0.2 if self._limit is None else min(0.2, self._limit.seconds_to_next_event())
            try:
                return child.wait(timeout=tick)
            except (subprocess.TimeoutExpired, TimeoutError):
                pass
            self._check_stop_conditions()
            self._check_time_limit(child.pid)
            if self._watch is not None and time.monotonic() >= next_beat:
                self._watch(child.pid)
                next_beat = time.monotonic() + HEARTBEAT_SECONDS
            if self._stop_signal is not None or self.timed_out:
                if deadline is None:
                    deadline = time.monotonic() + KILL_GRACE_SECONDS
                elif time.monotonic() > deadline:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(child.pid, signal.SIGKILL)

    def _check_time_limit(self, pid: int) -> None:
        """SIGUSR1 to the script signal_seconds_to_timeout before its limit, SIGTERM to its
        group at the limit (SIGKILL follows after KILL_GRACE_SECONDS)."""
        if self._limit is None:
            return
        with contextlib.suppress(ProcessLookupError):
            if self._limit.signal_due():
                os.kill(pid, signal.SIGUSR1)
            if self._limit.stop_due():
                os.killpg(pid, signal.SIGTERM)

    @property
    def stop_signal(self) -> int | None:
        return self._stop_signal
