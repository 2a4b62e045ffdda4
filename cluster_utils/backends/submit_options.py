"""The user's submission options against the executor's own, for any scheduler whose command line
is a list of options (sbatch, qsub): which of the user's options replace ours, which the executor
cannot give up, and the command line where the user's win.

Each scheduler's module (``slurm_options``, ``pbs_options``) parses its own command line into
options that know their *group* (what they set: the time limit, the memory, the queue, ...) and
names the groups the submission sets itself (``managed``: the user's option replaces ours) and
the groups the executor needs unchanged (``fixed``: the user's option is a config error).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class ParsedOption(Protocol):
    """One option of a command line as a scheduler's module parses it."""

    @property
    def group(self) -> str | None: ...

    @property
    def args(self) -> tuple[str, ...]: ...


#: a scheduler module's parser of a command line (without the program)
Parser = Callable[[Sequence[str]], Sequence[ParsedOption]]


def extra_submission_args(value: Any, program: str, where: str = "") -> list[str]:
    """``cluster_requirements.extra_submission_options`` as ``program``'s arguments: a string is
    split like a shell line, a list of strings taken as is; ValueError otherwise (``where``, e.g.
    " on PBS", ends the message's description)."""
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value)
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(
        f"cluster_requirements.extra_submission_options must be a list of {program} arguments "
        f"(strings){where}, got {value!r}"
    )


def split_user_options(
    options: Iterable[ParsedOption],
    managed: Mapping[str, str],
    fixed: Mapping[str, str],
    executor: str,
) -> tuple[list[str], list[str]]:
    """The user's options as (plain, replacing) arguments: *replacing* ones set something the
    submission may set too (``managed``); ValueError for one that would replace what
    ``executor`` (e.g. "cluster_utils' Slurm executor") sets itself and needs (``fixed``)."""
    plain: list[str] = []
    replacing: list[str] = []
    for option in options:
        if option.group in fixed:
            raise ValueError(
                f"cluster_requirements.extra_submission_options: {' '.join(option.args)!r} "
                f"would replace {fixed[option.group]}, which {executor} sets itself and needs "
                "unchanged"
            )
        (replacing if option.group in managed else plain).extend(option.args)
    return plain, replacing


@dataclass(frozen=True)
class Replaced:
    """One of our options left out for one of the user's."""

    group: str
    ours: str
    theirs: str
    #: where our value came from (the cluster_requirements key(s), or "the executor")
    source: str


def merge_options(
    command: Sequence[str], user_args: Sequence[str], parse: Parser, managed: Mapping[str, str]
) -> tuple[list[str], list[Replaced]]:
    """``command`` (the program and its options, no script) with the user's options appended and
    every option of ours in the same group as one of theirs left out; also what was left out."""
    theirs: dict[str, ParsedOption] = {}
    for option in parse(user_args):
        if option.group is not None:
            theirs.setdefault(option.group, option)
    program, rest = list(command[:1]), parse(command[1:])
    kept: list[str] = []
    replaced: list[Replaced] = []
    for option in rest:
        group = option.group
        if group is not None and group in theirs:
            source = managed.get(group, "the executor")
            ours, user = " ".join(option.args), " ".join(theirs[group].args)
            replaced.append(Replaced(group, ours, user, source))
            continue
        kept.extend(option.args)
    return [*program, *kept, *user_args], replaced
