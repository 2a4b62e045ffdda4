"""sbatch command lines as options: which of the user's options replace which of ours.

``cluster_requirements.extra_submission_options`` go to sbatch as given (3.0 did so). Where one
of them sets what the submission already sets -- the time limit, memory, CPUs, GPUs, partition,
account, QOS, ... (from other ``cluster_requirements`` keys, the profile's defaults or the
executor) -- the user's option is used and ours is left out, so that sbatch does not get both
(for some pairs, like ``--mem`` and ``--mem-per-cpu``, sbatch refuses the combination). Options
that the executor needs to follow its jobs (job name, log file, ``--parsable``, the array, the
working directory, ``--wrap``) cannot be replaced.

An option is one unit of an sbatch command line: ``--time=10``, ``--time 10``, ``-t 10`` or
``-t10``. Options that set the same thing form a *group* (``-t`` and ``--time``; ``--mem``,
``--mem-per-cpu`` and ``--mem-per-gpu``; ``--gpus`` and a ``--gres`` asking for GPUs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cluster_utils.backends import submit_options
from cluster_utils.backends.submit_options import Replaced

#: short option -> long name (sbatch's own table)
_SHORT_NAMES = {
    "A": "account",
    "a": "array",
    "B": "extra-node-info",
    "b": "begin",
    "C": "constraint",
    "c": "cpus-per-task",
    "D": "chdir",
    "d": "dependency",
    "e": "error",
    "F": "nodefile",
    "G": "gpus",
    "i": "input",
    "J": "job-name",
    "L": "licenses",
    "M": "clusters",
    "m": "distribution",
    "N": "nodes",
    "n": "ntasks",
    "o": "output",
    "p": "partition",
    "q": "qos",
    "S": "core-spec",
    "t": "time",
    "w": "nodelist",
    "x": "exclude",
    # flags
    "H": "hold",
    "h": "help",
    "I": "immediate",
    "k": "no-kill",
    "O": "overcommit",
    "Q": "quiet",
    "s": "oversubscribe",
    "u": "usage",
    "V": "version",
    "v": "verbose",
    "W": "wait",
}
_SHORT_WITH_VALUE = frozenset("AaBbCcDdeFGiJLMmNnopqStwx")

#: long options whose value may follow as the next argument (``--time 10``)
_LONG_WITH_VALUE = frozenset(
    {
        "account",
        "acctg-freq",
        "array",
        "batch",
        "bb",
        "bbf",
        "begin",
        "chdir",
        "cluster-constraint",
        "clusters",
        "comment",
        "constraint",
        "container",
        "container-id",
        "core-spec",
        "cores-per-socket",
        "cpu-freq",
        "cpus-per-gpu",
        "cpus-per-task",
        "deadline",
        "delay-boot",
        "dependency",
        "distribution",
        "error",
        "exclude",
        "extra",
        "extra-node-info",
        "export",
        "export-file",
        "gid",
        "gpu-bind",
        "gpu-freq",
        "gpus",
        "gpus-per-node",
        "gpus-per-socket",
        "gpus-per-task",
        "gres",
        "gres-flags",
        "input",
        "job-name",
        "kill-on-invalid-dep",
        "licenses",
        "mail-type",
        "mail-user",
        "mcs-label",
        "mem",
        "mem-bind",
        "mem-per-cpu",
        "mem-per-gpu",
        "mincpus",
        "network",
        "nodefile",
        "nodelist",
        "nodes",
        "ntasks",
        "ntasks-per-core",
        "ntasks-per-gpu",
        "ntasks-per-node",
        "ntasks-per-socket",
        "open-mode",
        "output",
        "partition",
        "power",
        "prefer",
        "priority",
        "profile",
        "qos",
        "reservation",
        "signal",
        "sockets-per-node",
        "switches",
        "thread-spec",
        "threads-per-core",
        "time",
        "time-min",
        "tmp",
        "tres-bind",
        "tres-per-task",
        "uid",
        "wait-all-nodes",
        "wckey",
        "workdir",
        "wrap",
    }
)

#: options setting the same thing, by group name
_GROUPS = {
    "time": "time",
    "mem": "memory",
    "mem-per-cpu": "memory",
    "mem-per-gpu": "memory",
    "cpus-per-task": "cpus",
    "cpus-per-gpu": "cpus",
    "ntasks": "tasks",
    "ntasks-per-gpu": "tasks",
    "ntasks-per-node": "tasks",
    "gpus": "gpus",
    "gpus-per-task": "gpus",
    "gpus-per-node": "gpus",
    "gpus-per-socket": "gpus",
    "requeue": "requeue",
    "no-requeue": "requeue",
    "workdir": "chdir",
}

#: groups the submission may set itself, and where our value comes from
MANAGED = {
    "time": "request_time (or the profile's default runtime)",
    "memory": "memory_in_mb (or the profile's default mem_mb)",
    "cpus": "request_cpus",
    "tasks": "the executor (one task per job)",
    "gpus": "request_gpus",
    "partition": "partition",
    "account": "account (or the account Snakemake's Slurm plugin guessed)",
    "qos": "qos",
    "constraint": "constraint",
    "exclude": "forbidden_hostnames",
    "nodes": "the executor",
    "clusters": "the executor",
    "comment": "the executor (the rule's name)",
    "requeue": "the profile (slurm-requeue)",
    "open-mode": "cluster_utils (a resumed job appends to its Slurm log)",
    "export": "the executor (--export=ALL)",
    "reservation": "the executor's reservation setting",
}

#: groups the executor needs unchanged to follow its jobs
FIXED = {
    "job-name": "the job name (how the executor finds the run's jobs in sacct)",
    "output": "the Slurm log file (shown for failed jobs)",
    "parsable": "--parsable (the executor reads the job id)",
    "array": "the job array (the executor submits grid jobs as arrays)",
    "chdir": "the working directory",
    "wrap": "the job script",
}


@dataclass(frozen=True)
class Option:
    """One option of a command line (``name`` None for an argument that is not an option)."""

    name: str | None
    args: tuple[str, ...]
    value: str | None = None

    @property
    def group(self) -> str | None:
        if self.name is None:
            return None
        if self.name == "gres":
            return "gpus" if "gpu" in (self.value or "") else "gres"
        return _GROUPS.get(self.name, self.name)


def parse_options(args: Sequence[str]) -> list[Option]:
    """Split sbatch arguments into options (an option's value may be the next argument)."""
    options: list[Option] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name, value, takes_next = _read(arg)
        if takes_next and i + 1 < len(args):
            options.append(Option(name, (arg, args[i + 1]), args[i + 1]))
            i += 2
            continue
        options.append(Option(name, (arg,), value))
        i += 1
    return options


def _read(arg: str) -> tuple[str | None, str | None, bool]:
    """(name, attached value, whether the value is the next argument) of one argument."""
    if arg.startswith("--") and len(arg) > 2:
        name, eq, value = arg[2:].partition("=")
        if eq:
            return name, value, False
        return name, None, name in _LONG_WITH_VALUE
    if arg.startswith("-") and len(arg) > 1 and arg[1] != "-":
        letter = arg[1]
        name = _SHORT_NAMES.get(letter, letter)
        if letter in _SHORT_WITH_VALUE:
            return (name, arg[2:], False) if len(arg) > 2 else (name, None, True)
        return name, None, False
    return None, None, False


def split_user_options(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """The user's arguments as (plain, replacing): *replacing* ones set something the submission
    may set too (``MANAGED``); ValueError for options it cannot take (``FIXED``)."""
    return submit_options.split_user_options(
        parse_options(args), MANAGED, FIXED, "cluster_utils' Slurm executor"
    )


def merge_options(
    command: Sequence[str], user_args: Sequence[str]
) -> tuple[list[str], list[Replaced]]:
    """``command`` (sbatch and its options) with the user's options appended and
    every option of ours in the same group as one of theirs left out; also what was left out."""
    return submit_options.merge_options(command, user_args, parse_options, MANAGED)
