"""The user's submission options in the executor's command line, for the plugins whose scheduler
takes options (sbatch, qsub): the job's mapping error, its replacing options, and the merge where
the user's options win with one warning per kind of option and run.

The backends put into a job's resources what they made of its ``cluster_requirements``: the
options that replace ours (each backend's ``REPLACING_OPTIONS_RESOURCE``) and, per backend, why
the requirements could not be mapped (``MAPPING_ERRORS_RESOURCE``). The merge itself (which of
our options a user's option replaces) is the backend's ``merge_options``, passed in.
"""

from __future__ import annotations

import json
import logging
import shlex
from collections.abc import Callable, Sequence
from typing import Any, Protocol

#: cluster_utils.grid.snakemake_glue.MAPPING_ERRORS_RESOURCE: {backend: why it could not map the
#: job's cluster_requirements}
MAPPING_ERRORS_RESOURCE = "cluster_utils_mapping_errors"


class ReplacedOption(Protocol):
    """One of our options the user's replaced (``backends.submit_options.Replaced``)."""

    group: str
    ours: str
    theirs: str
    source: str


#: a backend's ``merge_options(command, user_args) -> (merged command, what was replaced)``
Merge = Callable[[Sequence[str], Sequence[str]], tuple[list[str], Sequence[ReplacedOption]]]


def check_mapping(job: Any, backend: str, scheduler_name: str) -> None:
    """Raise the error that kept ``backend`` from mapping this job's requirements."""
    value = job.resources.get(MAPPING_ERRORS_RESOURCE)
    error = json.loads(str(value)).get(backend) if value else None
    if error:
        raise ValueError(f"cluster_requirements cannot be used on {scheduler_name}: {error}")


def replacing(job: Any, resource: str) -> list[str]:
    """The user's options of this job that replace the submission's own (in ``resource``)."""
    value = job.resources.get(resource)
    return shlex.split(str(value)) if value else []


def apply(
    command: list[str],
    user_args: Sequence[str],
    merge: Merge,
    reported: set[str],
    logger: logging.Logger,
) -> list[str]:
    """``command`` (the program and its options) with ``user_args`` in place of the options of
    ours they replace, one warning per kind of option; ``reported`` holds the kinds already
    reported this run."""
    if not user_args:
        return command
    merged, replaced = merge(command, user_args)
    for item in replaced:
        if item.group in reported:
            continue
        reported.add(item.group)
        logger.warning(
            f"cluster_utils: extra_submission_options {item.theirs!r} replaces {item.ours!r} "
            f"(from {item.source}): {command[0]} gets the value of extra_submission_options"
        )
    return merged
