"""The user's sbatch options that replace the executor's own (extra_submission_options).

``cluster_utils.backends.slurm.snakemake_resources`` puts the user's options that set something
the submission sets too (time limit, memory, CPUs, partition, QOS, ...) into their own resource;
here they are appended to the sbatch command line and ours are left out, with one warning per
kind of option and run (``cluster_utils.scheduler.user_options``, shared with the PBS plugin).
"""

from __future__ import annotations

import logging
import shlex

from snakemake_interface_executor_plugins.jobs import JobExecutorInterface

from cluster_utils.backends import get_backend
from cluster_utils.scheduler import user_options

_slurm = get_backend("slurm")


def check_mapping(job: JobExecutorInterface) -> None:
    """Raise the error that kept the Slurm backend from mapping this job's requirements."""
    user_options.check_mapping(job, "slurm", "Slurm")


def replacing(job: JobExecutorInterface) -> list[str]:
    """The user's options of this job that replace the submission's own."""
    return user_options.replacing(job, _slurm.REPLACING_OPTIONS_RESOURCE)


def apply(call: str, job: JobExecutorInterface, reported: set[str], logger: logging.Logger) -> str:
    """``call`` (an sbatch command line) with the job's replacing options in place of ours.

    ``reported`` holds the kinds of options already reported (once per run each)."""
    user_args = replacing(job)
    if not user_args:
        return call
    merged = user_options.apply(
        shlex.split(call), user_args, _slurm.merge_options, reported, logger
    )
    return shlex.join(merged)
