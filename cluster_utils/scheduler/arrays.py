"""Which Snakemake jobs go straight to the runner, how many go into one job array, and the run's
record of its arrays, for every cluster executor plugin.

Each plugin keeps its scheduler's array syntax (``sbatch --array``, ``qsub -J``), the name of its
task ids and the name of its record file; what a runner call looks like, how a batch is split and
how the record is written and read back is the same for all of them.

The record: ``<experiment>/.cluster_utils/<arrays file>``, one JSON line per array,
``{"array_job_id", "run", "submitted", "tasks": [job of task 0, job of task 1, ...]}``, where a
job is the runner call's job argument (the job id) and ``null`` marks a task that runs no job of
this experiment.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

#: the module every cluster_utils job runs under (``python -m cluster_utils.runner EXP JOB``)
RUNNER_MODULE = "cluster_utils.runner"
T = TypeVar("T")
_SHELL_OPERATORS = {";", "&&", "||", "|", "&", ">", "<", ">>"}


def runner_call(job: Any) -> list[str] | None:
    """The runner argv a Snakemake job consists of (:func:`runner_argv` of its shell command), or
    None for a job that needs Snakemake inside the allocation: a group, a job with a conda
    environment, a container or environment modules, or one that is not a shell command."""
    if job.is_group() or not getattr(job, "is_shell", False):
        return None
    for needs_snakemake in ("conda_env_spec", "container_img_url", "env_modules"):
        if getattr(job, needs_snakemake, None):
            return None
    try:
        shellcmd = job.shellcmd
    except Exception:
        return None
    return runner_argv(shellcmd)


def runner_argv(shellcmd: str | None) -> list[str] | None:
    """The argv of a rule's shell command if it is exactly one call of the cluster_utils runner.

    ``/abs/python -m cluster_utils.runner EXPERIMENT_DIR JOB_ID`` (or ``--chunk NAME``): such a
    job needs nothing from Snakemake inside the allocation, so its job script runs it directly.
    Anything else (pipes, ``&&``, a relative interpreter, other modules) returns None and keeps
    the plugin's general path (Snakemake's own job command).
    """
    if not shellcmd:
        return None
    try:
        argv = shlex.split(shellcmd)
    except ValueError:
        return None
    if len(argv) < 5 or argv[1:3] != ["-m", RUNNER_MODULE] or not os.path.isabs(argv[0]):
        return None
    if any(arg in _SHELL_OPERATORS for arg in argv):
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


def job_key(argv: Sequence[str]) -> str:
    """The runner call's job argument(s) as the arrays record names them."""
    return " ".join(argv[4:])


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


def split(items: Sequence[T], max_tasks: int) -> list[list[T]]:
    """``items`` in consecutive arrays of the sizes :func:`split_sizes` gives."""
    arrays, start = [], 0
    for size in split_sizes(len(items), max_tasks):
        arrays.append(list(items[start : start + size]))
        start += size
    return arrays


def array_script(
    commands: Sequence[str],
    index_variable: str,
    index_word: str,
    comment: str = "",
    setup: Sequence[str] = (),
    plain_single: bool = False,
) -> str:
    """The shell script of one array: the task whose index is in ``$index_variable`` runs
    ``commands[index]`` (a shell line), an unknown index exits 2 naming it (``index_word``: what
    the scheduler calls it). ``comment`` becomes comment lines, ``setup`` lines run first;
    ``plain_single``: one command is run as it is (a plain job, no index)."""
    lines = ["#!/bin/sh"]
    if comment:
        lines += [f"# {line}" for line in comment.splitlines()]
    lines += setup
    if plain_single and len(commands) == 1:
        return "\n".join([*lines, commands[0], ""])
    lines.append(f'case "${{{index_variable}:-0}}" in')
    for index, command in enumerate(commands):
        lines.append(f"{index}) {command} ;;")
    lines += [
        f'*) echo "cluster_utils: no job for array {index_word} ${{{index_variable}}}" >&2; '
        "exit 2 ;;",
        "esac",
        "",
    ]
    return "\n".join(lines)


def record_array(
    arrays_file: str, array_id: str, run: str, argvs: Sequence[Sequence[str] | None]
) -> None:
    """Append ``array id -> its tasks' jobs`` to ``<experiment>/.cluster_utils/<arrays_file>``
    of every experiment among ``argvs`` (task ``i`` runs ``argvs[i]``; None: no runner job)."""
    experiments = dict.fromkeys(experiment_of(argv) for argv in argvs if argv is not None)
    for experiment in experiments:
        tasks = [
            job_key(argv) if argv is not None and experiment_of(argv) == experiment else None
            for argv in argvs
        ]
        record = {"array_job_id": array_id, "run": run, "submitted": time.time(), "tasks": tasks}
        path = Path(experiment) / ".cluster_utils" / arrays_file
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, (json.dumps(record) + "\n").encode())
            finally:
                os.close(fd)


@dataclass(frozen=True)
class RecordedTask:
    """One task of a recorded array: which job it ran, in which array and run."""

    job: str  #: the runner call's job argument (the job id)
    array_id: str  #: the scheduler's id of the array (or plain job)
    index: int  #: the task's index in the array
    run: str  #: the UUID of the run that submitted it


def latest_tasks(experiment: Path, arrays_file: str, current_run: str) -> dict[str, RecordedTask]:
    """Job -> its latest recorded task, for jobs whose latest task belongs to another run."""
    path = Path(experiment) / ".cluster_utils" / arrays_file
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    latest: dict[str, RecordedTask] = {}
    for line in lines:
        try:
            record = json.loads(line)
            array, run, jobs = str(record["array_job_id"]), str(record["run"]), record["tasks"]
            indexed = list(enumerate(jobs))
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a killed driver
        for index, job in indexed:
            if job is not None:
                latest[str(job)] = RecordedTask(str(job), array, index, run)
    return {job: task for job, task in latest.items() if task.run != current_run}
