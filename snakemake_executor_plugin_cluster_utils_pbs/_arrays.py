"""How a batch of jobs becomes PBS job arrays (``qsub -J``), and the run's record of them.

Which jobs go straight to the runner (``runner_argv``) and how many subjobs an array gets
(``split_sizes``) are the rules every cluster plugin shares (``cluster_utils.scheduler.arrays``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from cluster_utils.scheduler import arrays
from cluster_utils.scheduler.arrays import (
    experiment_of,
    job_id_of,
    runner_argv,
    split,
    split_sizes,
)

__all__ = [
    "ARRAYS_FILE",
    "array_script",
    "experiment_of",
    "job_id_of",
    "record_array",
    "runner_argv",
    "split",
    "split_sizes",
    "subjob_id",
]

#: the executor's own record of its arrays: <experiment>/.cluster_utils/<this file>
ARRAYS_FILE = "pbs_arrays.jsonl"
_ARRAY_ID_RE = re.compile(r"^(?P<seq>[^\[]+)\[\](?P<rest>.*)$")


def subjob_id(array_id: str, index: int) -> str:
    """PBS' name of subjob ``index`` of array ``12[].server``: ``12[index].server``; a plain
    job (``13.server``) is its own only task."""
    match = _ARRAY_ID_RE.match(array_id)
    if match is None:
        return array_id
    return f"{match['seq']}[{index}]{match['rest']}"


def is_array(job_id: str) -> bool:
    return _ARRAY_ID_RE.match(job_id) is not None


def parent_of(job_id: str) -> str:
    """``12[3].server`` -> ``12[].server``; anything else unchanged."""
    return re.sub(r"\[\d+\]", "[]", job_id, count=1)


def job_command(argv: Sequence[str] | None, shell_command: str) -> str:
    """The shell line that runs one job: the runner call exec'd (PBS' signals reach it, its exit
    code is the job's), or Snakemake's job command as it is."""
    return f"exec {shlex.join(argv)}" if argv else shell_command


def array_script(commands: Sequence[str], workdir: str, comment: str = "") -> str:
    """The job script of one array (or plain job): subjob ``i`` runs ``commands[i]``.

    PBS starts jobs in the home directory; the script changes to Snakemake's working directory.
    """
    return arrays.array_script(
        commands,
        "PBS_ARRAY_INDEX",
        "index",
        comment,
        setup=[f"cd {shlex.quote(workdir)} || exit 1"],
        plain_single=True,
    )


def array_option(n_tasks: int) -> list[str]:
    """``-J 0-(n-1)`` for two or more tasks; nothing for one (PBS arrays need two indices)."""
    if n_tasks < 1:
        raise ValueError("an array needs at least one task")
    return ["-J", f"0-{n_tasks - 1}"] if n_tasks > 1 else []


def record_array(array_id: str, run: str, argvs: Sequence[Sequence[str] | None]) -> None:
    """Append array id -> its runner jobs to ``<experiment>/.cluster_utils/pbs_arrays.jsonl``
    (``cluster_utils.scheduler.arrays.record_array``; ``null`` for a subjob that is no runner
    job)."""
    arrays.record_array(ARRAYS_FILE, array_id, run, argvs)
