"""Which jobs go straight to the runner, and how a batch of them becomes Slurm job arrays."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import time
from collections.abc import Sequence
from pathlib import Path

#: the module every cluster_utils job runs under (``python -m cluster_utils.runner EXP JOB``)
RUNNER_MODULE = "cluster_utils.runner"
#: the executor's own record of its arrays: <experiment>/.cluster_utils/<this file>
ARRAYS_FILE = "slurm_arrays.jsonl"


def runner_argv(shellcmd: str | None) -> list[str] | None:
    """The argv of a rule's shell command if it is exactly one call of the cluster_utils runner.

    ``/abs/python -m cluster_utils.runner EXPERIMENT_DIR JOB_ID`` (or ``--chunk NAME``): such a
    job needs nothing from Snakemake inside the allocation, so its sbatch script runs it
    directly. Anything else (pipes, ``&&``, a relative interpreter, other modules) returns None
    and keeps the executor plugin's own path (a nested ``snakemake`` in the job).
    """
    if not shellcmd:
        return None
    try:
        argv = shlex.split(shellcmd)
    except ValueError:
        return None
    if len(argv) < 5 or argv[1:3] != ["-m", RUNNER_MODULE] or not os.path.isabs(argv[0]):
        return None
    if any(arg in {";", "&&", "||", "|", "&", ">", "<", ">>"} for arg in argv):
        return None
    return argv


def job_id_of(argv: Sequence[str]) -> int | None:
    """The grid job id of a runner call (None for a chunk of jobs)."""
    return int(argv[4]) if len(argv) == 5 and argv[4].isdigit() else None


def experiment_of(argv: Sequence[str]) -> str:
    return argv[3]


def runner_job_of(argv: Sequence[str] | None) -> tuple[str, int] | None:
    """``(experiment, job id)`` of a runner call (None for a chunk or no runner call)."""
    if not argv:
        return None
    job_id = job_id_of(argv)
    return None if job_id is None else (experiment_of(argv), job_id)


def split_sizes(n_jobs: int, max_tasks: int) -> list[int]:
    """Sizes of the arrays for ``n_jobs`` tasks with at most ``max_tasks`` per array, as even
    as possible (1,001 jobs with a limit of 1,000 become 501 + 500, not 1,000 + 1)."""
    if n_jobs <= 0:
        return []
    if max_tasks < 1:
        raise ValueError(f"max_tasks must be >= 1, got {max_tasks}")
    n_arrays = -(-n_jobs // max_tasks)
    base, extra = divmod(n_jobs, n_arrays)
    return [base + 1] * extra + [base] * (n_arrays - extra)


def array_option(n_tasks: int, max_running: int | None = None) -> str:
    """``--array=0-(n-1)`` with the optional ``%max_running`` throttle."""
    if n_tasks < 1:
        raise ValueError("an array needs at least one task")
    throttle = f"%{max_running}" if max_running and max_running < n_tasks else ""
    return f"--array=0-{n_tasks - 1}{throttle}"


def array_script(commands: Sequence[Sequence[str]], comment: str = "") -> str:
    """The sbatch script of one array: task ``i`` execs ``commands[i]`` (an argv).

    ``exec`` makes the runner the job's batch process: Slurm's signals (SIGTERM at the time
    limit or on requeue) reach it directly, and its exit code is the task's.
    """
    lines = ["#!/bin/sh"]
    if comment:
        lines += [f"# {line}" for line in comment.splitlines()]
    lines.append('case "${SLURM_ARRAY_TASK_ID:-0}" in')
    for index, argv in enumerate(commands):
        lines.append(f"{index}) exec {shlex.join(argv)} ;;")
    lines += [
        '*) echo "cluster_utils: no job for array task ${SLURM_ARRAY_TASK_ID}" >&2; exit 2 ;;',
        "esac",
        "",
    ]
    return "\n".join(lines)


def task_external_id(array_job_id: str, index: int) -> str:
    """Slurm's name of one array task (``sacct``'s JobID, ``scancel`` accepts it)."""
    return f"{array_job_id}_{index}"


def record_array(array_id: str, run: str, argvs: Sequence[Sequence[str]]) -> None:
    """Append array id -> tasks to ``<experiment>/.cluster_utils/slurm_arrays.jsonl``:
    ``{"array_job_id", "run", "submitted", "tasks": [job id of task 0, ...]}``."""
    by_experiment: dict[str, list[str]] = {}
    for argv in argvs:
        by_experiment.setdefault(experiment_of(argv), []).append(" ".join(argv[4:]))
    for experiment, tasks in by_experiment.items():
        record = {"array_job_id": array_id, "run": run, "submitted": time.time(), "tasks": tasks}
        path = Path(experiment) / ".cluster_utils" / ARRAYS_FILE
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, (json.dumps(record) + "\n").encode())
            finally:
                os.close(fd)
