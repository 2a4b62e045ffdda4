"""Running Snakemake on an experiment as a child process: locks, signals, logs.

The child writes its log to ``.cluster_utils/snakemake.log``; the caller shows progress from the
job files. A lock on ``.cluster_utils/run.lock`` tells whether another run of this experiment is
alive; if none is, Snakemake's own lock left behind by a killed run is stale and removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from cluster_utils.backends.slurm_clients import quiet_slurm_environment
from cluster_utils.base.workflow_files import snakefile
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.runner.driver_watch import DRIVER_ENV_VAR, driver_identity

PR_SET_PDEATHSIG = 1

#: the workflow's config keys when the CLI or the hpo driver runs it (see grid/snakemake_glue.py)
EXPERIMENT_CONFIG_KEY = "cluster_utils_experiment"
#: hp_optimization hands Snakemake a batch: a JSON file with the list of job ids to run
BATCH_CONFIG_KEY = "cluster_utils_batch"
#: run this many jobs per Snakemake job, one after another (the CLI sets it for local runs)
CHUNK_SIZE_CONFIG_KEY = "cluster_utils_chunk_size"


class RunLockedError(RuntimeError):
    pass


def snakemake_argv(
    layout: ExperimentLayout,
    profile: Path,
    *,
    cores: int | None = None,
    dry_run: bool = False,
    chunk_size: int = 1,
    directory: Path | None = None,
    extra_config: dict[str, str] | None = None,
    resources: dict[str, int] | None = None,
    extra: list[str] | None = None,
) -> list[str]:
    """The argv of one Snakemake run on an experiment. ``directory`` is Snakemake's working
    directory (default: the experiment directory); ``extra_config`` adds ``--config`` items;
    ``resources`` are the run's ``--resources`` (e.g. ``gpu`` on a local run with GPUs)."""
    config = {
        EXPERIMENT_CONFIG_KEY: str(layout.root),
        CHUNK_SIZE_CONFIG_KEY: str(chunk_size),
        **(extra_config or {}),
    }
    argv = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(snakefile()),
        "--directory",
        str(directory or layout.root),
        "--profile",
        str(profile),
        "--config",
        *(f"{key}={value}" for key, value in config.items()),
        "--rerun-incomplete",
        "--rerun-triggers",
        "mtime",
    ]
    if cores is not None:
        argv += ["--cores", str(cores)]
    if resources:
        argv += ["--resources", *(f"{name}={value}" for name, value in resources.items())]
    if dry_run:
        argv += ["--dry-run"]
    return argv + list(extra or [])


def die_with_parent() -> None:
    """In the child: get SIGINT when the driver dies (even by kill -9), so no run is orphaned."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGINT)


def acquire_run_lock(layout: ExperimentLayout):
    """Hold the experiment's run lock (released automatically when this process dies)."""
    layout.internal.mkdir(parents=True, exist_ok=True)
    handle = open(layout.run_lock, "a+")  # noqa: SIM115 - kept open for the run's lifetime
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise RunLockedError(
            f"another cluster_utils run is active on {layout.root}; wait for it to end or stop it"
        ) from None
    # Nobody else runs this experiment: a Snakemake lock left by a killed run is stale.
    shutil.rmtree(layout.root / ".snakemake" / "locks", ignore_errors=True)
    return handle


def run_snakemake(
    argv: list[str],
    layout: ExperimentLayout,
    *,
    on_tick: Callable[[], None] | None = None,
    tick_seconds: float = 0.5,
    log_to_console: bool = False,
    jobs_die_with_driver: bool = False,
    job_environment: dict[str, str] | None = None,
    quiet_slurm: bool = False,
) -> int:
    """Run Snakemake and return its exit code; Ctrl-C stops the jobs within seconds.

    ``jobs_die_with_driver`` (local runs): the jobs stop when this process dies, even by kill -9.
    Cluster jobs are left running instead; the next run finds their results.
    ``job_environment``: variables added to the environment of Snakemake and so of its jobs.
    ``quiet_slurm``: Snakemake gets backends.slurm_clients' empty Slurm config where Slurm's
    controller does not answer (the executor hands the caller's back to the jobs)."""
    # Ctrl-C / kill -INT / kill -TERM stop the run even where the caller ignored SIGINT
    # (background jobs of non-interactive shells start with SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    log = open(layout.snakemake_log, "ab")  # noqa: SIM115
    try:
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=None if log_to_console else log,
            stderr=None if log_to_console else subprocess.STDOUT,
            preexec_fn=die_with_parent,
            # Snakemake, its job shells and our runners form one process group, so one killpg
            # reaches them all (Snakemake itself would wait for running local jobs to end).
            start_new_session=True,
            cwd=str(layout.root),
            env=_child_environment(jobs_die_with_driver, job_environment, quiet_slurm),
        )
        interrupted = 0
        while True:
            try:
                code = child.wait(timeout=tick_seconds)
                break
            except subprocess.TimeoutExpired:
                if on_tick:
                    on_tick()
            except KeyboardInterrupt:
                interrupted += 1
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGINT if interrupted < 3 else signal.SIGKILL)
        if on_tick:
            on_tick()
        return 130 if interrupted else code
    finally:
        log.close()


def _child_environment(
    jobs_die_with_driver: bool, extra: dict[str, str] | None, quiet_slurm: bool
) -> dict[str, str] | None:
    """Snakemake's environment (None: this process's own)."""
    if not jobs_die_with_driver and not extra and not quiet_slurm:
        return None
    env = {**os.environ, **(extra or {})}
    if jobs_die_with_driver:
        env[DRIVER_ENV_VAR] = driver_identity()
    return quiet_slurm_environment(env, say=print_notice) if quiet_slurm else env


def print_notice(message: str) -> None:
    """One line for the user on stderr, as the driver's other notices."""
    print(f"cluster_utils: {message}", file=sys.stderr, flush=True)


def _raise_keyboard_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def tail_of(path: Path, lines: int = 30) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - 20000))
            return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""
