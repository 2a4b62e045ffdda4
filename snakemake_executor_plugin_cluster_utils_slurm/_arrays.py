"""How a batch of runner jobs becomes Slurm job arrays (``sbatch --array``), and the run's record
of them.

Which jobs go straight to the runner and how many tasks an array gets are the rules every cluster
plugin shares (``cluster_utils.scheduler.arrays``).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from cluster_utils.scheduler import arrays
from cluster_utils.scheduler.arrays import (
    experiment_of,
    job_id_of,
    runner_argv,
    runner_job_of,
    split,
    split_sizes,
)

__all__ = [
    "ARRAYS_FILE",
    "array_option",
    "array_script",
    "experiment_of",
    "job_id_of",
    "record_array",
    "runner_argv",
    "runner_job_of",
    "split",
    "split_sizes",
    "task_external_id",
]

#: the executor's own record of its arrays: <experiment>/.cluster_utils/<this file>
ARRAYS_FILE = "slurm_arrays.jsonl"


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
    return arrays.array_script(
        [f"exec {shlex.join(argv)}" for argv in commands], "SLURM_ARRAY_TASK_ID", "task", comment
    )


def task_external_id(array_job_id: str, index: int) -> str:
    """Slurm's name of one array task (``sacct``'s JobID, ``scancel`` accepts it)."""
    return f"{array_job_id}_{index}"


def record_array(array_id: str, run: str, argvs: Sequence[Sequence[str]]) -> None:
    """Append array id -> tasks to ``<experiment>/.cluster_utils/slurm_arrays.jsonl``
    (``cluster_utils.scheduler.arrays.record_array``)."""
    arrays.record_array(ARRAYS_FILE, array_id, run, argvs)
