"""qsub command lines as options: which of the user's options replace which of ours (PBS).

``cluster_requirements.extra_submission_options`` go to qsub as given. Where one of them sets what
the submission sets itself -- the walltime, the chunk (``-l select=...``, or the job-wide ``-l
ncpus``/``mem``/``ngpus`` that PBS refuses next to a select), the queue, the environment -- the
user's option is used and ours is left out (one warning per kind and run). Options the executor
needs to follow its jobs (name, output files, the array, ``-W block``, interactive jobs) cannot be
replaced, and arguments qsub does not know are refused: both are config errors naming the key.

An option is one unit of a qsub command line: ``-q long``, ``-qlong``, ``-l walltime=1:00:00``.
A ``-l`` option is split by resource (``-l walltime=1:00,mem=2gb`` sets two groups).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cluster_utils.backends import submit_options
from cluster_utils.backends.submit_options import Replaced

#: qsub's options that take a value (attached or as the next argument)
_WITH_VALUE = frozenset("aACcefhJjklMmNoPpqrSuvW")
#: qsub's flags
_FLAGS = frozenset("fhIVXRz")
#: -l resources whose group the submission sets: the chunk and the walltime
_RESOURCE_GROUPS = {
    "walltime": "walltime",
    "select": "select",
    "ncpus": "select",
    "mem": "select",
    "ngpus": "select",
    "host": "select",
}

#: groups the submission may set itself, and where our value comes from
MANAGED = {
    "walltime": "request_time (or the profile's default runtime)",
    "select": "request_cpus, memory_in_mb, request_gpus and hostname_list (-l select=...)",
    "queue": "queue (or partition)",
    "environment": "the executor (-V: the job sees the submitting environment)",
    "rerunable": "the executor",
}

#: groups the executor needs unchanged to follow its jobs
FIXED = {
    "array": "the job array (-J: the executor submits grid jobs as arrays)",
    "name": "the job name (-N)",
    "output": "the job's log file (-o/-e/-j: shown for failed jobs)",
    "interactive": "a batch job (-I would make the job interactive)",
    "W": "-W (job dependencies, blocking and sandbox would change how the executor follows jobs)",
    "hold": "a job that starts (-h would hold it)",
}
_LETTER_GROUPS = {
    "J": "array",
    "N": "name",
    "o": "output",
    "e": "output",
    "j": "output",
    "k": "output",
    "I": "interactive",
    "W": "W",
    "h": "hold",
    "q": "queue",
    "V": "environment",
    "r": "rerunable",
}


@dataclass(frozen=True)
class Option:
    """One option of a qsub command line; ``group`` None for a plain argument (the script)."""

    letter: str | None
    args: tuple[str, ...]
    value: str | None = None
    group: str | None = None


def _resource_group(value: str) -> str:
    name = value.split("=", 1)[0].strip()
    return _RESOURCE_GROUPS.get(name, f"resource {name}")


def parse_options(args: Sequence[str], *, strict: bool = False) -> list[Option]:
    """Split qsub arguments into options; ``-l a=1,b=2`` becomes one option per resource.

    ``strict``: raise ValueError for arguments that are no qsub option (the user's)."""
    options: list[Option] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if len(arg) < 2 or arg[0] != "-" or arg[1] == "-":
            if strict:
                raise ValueError(f"{arg!r} is no qsub option (qsub takes -X options only)")
            options.append(Option(None, (arg,)))
            i += 1
            continue
        letter = arg[1]
        if letter in _WITH_VALUE:
            if len(arg) > 2:
                unit, value = (arg,), arg[2:]
                i += 1
            elif i + 1 < len(args):
                unit, value = (arg, args[i + 1]), args[i + 1]
                i += 2
            else:
                raise ValueError(f"qsub option {arg} needs a value")
        elif letter in _FLAGS and len(arg) == 2:
            unit, value = (arg,), None
            i += 1
        else:
            if strict:
                raise ValueError(f"{arg!r} is no qsub option")
            options.append(Option(None, (arg,)))
            i += 1
            continue
        if letter == "l" and value is not None:
            for resource in _split_resources(value):
                options.append(Option("l", ("-l", resource), resource, _resource_group(resource)))
            continue
        options.append(Option(letter, unit, value, _LETTER_GROUPS.get(letter, letter)))
    return options


def _split_resources(value: str) -> list[str]:
    """``walltime=1:00,mem=2gb`` -> two resources; a select's own ``:`` parts stay together."""
    if value.strip().startswith("select="):
        return [value.strip()]
    return [part.strip() for part in value.split(",") if part.strip()]


def split_user_options(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """The user's arguments as (plain, replacing): *replacing* ones set something the submission
    may set too (``MANAGED``); ValueError for options it cannot take (``FIXED``) or that qsub
    does not know."""
    return submit_options.split_user_options(
        parse_options(args, strict=True), MANAGED, FIXED, "cluster_utils' PBS executor"
    )


def merge_options(
    command: Sequence[str], user_args: Sequence[str]
) -> tuple[list[str], list[Replaced]]:
    """``command`` (qsub and its options) with the user's options appended and
    every option of ours in the same group as one of theirs left out; also what was left out."""
    return submit_options.merge_options(command, user_args, parse_options, MANAGED)
