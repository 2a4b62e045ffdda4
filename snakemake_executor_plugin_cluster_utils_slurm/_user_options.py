"""The user's sbatch options that replace the executor's own (extra_submission_options).

``cluster_utils.backends.slurm.snakemake_resources`` puts the user's options that set something
the submission sets too (time limit, memory, CPUs, partition, QOS, ...) into their own resource;
here they are appended to the sbatch command line and ours are left out, with one warning per
kind of option and run.
"""

from __future__ import annotations

import json
import logging
import shlex

from snakemake_interface_executor_plugins.jobs import JobExecutorInterface

from cluster_utils.backends import get_backend

_slurm = get_backend("slurm")
#: cluster_utils.grid.snakemake_glue.MAPPING_ERRORS_RESOURCE: {backend: why it could not map the
#: job's cluster_requirements}
MAPPING_ERRORS_RESOURCE = "cluster_utils_mapping_errors"


def check_mapping(job: JobExecutorInterface) -> None:
    """Raise the error that kept the Slurm backend from mapping this job's requirements."""
    value = job.resources.get(MAPPING_ERRORS_RESOURCE)
    error = json.loads(str(value)).get("slurm") if value else None
    if error:
        raise ValueError(f"cluster_requirements cannot be used on Slurm: {error}")


def replacing(job: JobExecutorInterface) -> list[str]:
    """The user's options of this job that replace the submission's own."""
    value = job.resources.get(_slurm.REPLACING_OPTIONS_RESOURCE)
    return shlex.split(str(value)) if value else []


def apply(call: str, job: JobExecutorInterface, reported: set[str], logger: logging.Logger) -> str:
    """``call`` (an sbatch command line) with the job's replacing options in place of ours.

    ``reported`` holds the kinds of options already reported (once per run each)."""
    user_args = replacing(job)
    if not user_args:
        return call
    merged, replaced = _slurm.merge_options(shlex.split(call), user_args)
    for item in replaced:
        if item.group in reported:
            continue
        reported.add(item.group)
        logger.warning(
            f"cluster_utils: extra_submission_options {item.theirs!r} replaces {item.ours!r} "
            f"(from {item.source}): sbatch gets the value of extra_submission_options"
        )
    return shlex.join(merged)
