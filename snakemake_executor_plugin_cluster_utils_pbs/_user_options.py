"""The job's qsub options from its resources, with the user's in place of the ones they replace.

``cluster_utils.backends.pbs.snakemake_resources`` turns cluster_requirements into resources
(``pbs_select``, ``pbs_walltime``, ``pbs_queue``, ``pbs_extra``, ``pbs_extra_replacing``); jobs of
other workflows may set them too, or Snakemake's standard ``runtime``/``mem_mb``/``cpus``.
"""

from __future__ import annotations

import logging
import shlex

from snakemake_interface_executor_plugins.jobs import JobExecutorInterface

from cluster_utils.backends import get_backend
from cluster_utils.scheduler import user_options

_pbs = get_backend("pbs")


def check_mapping(job: JobExecutorInterface) -> None:
    """Raise the error that kept the PBS backend from mapping this job's requirements."""
    user_options.check_mapping(job, "pbs", "PBS")


def _resource(job: JobExecutorInterface, name: str) -> str | None:
    value = job.resources.get(name)
    return None if value in (None, "", 0) else str(value)


def _minutes_walltime(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def derived_options(job: JobExecutorInterface) -> list[str]:
    """qsub options from the job's resources (without name, output, array and the user's)."""
    options: list[str] = []
    queue = _resource(job, _pbs.QUEUE_RESOURCE)
    if queue:
        options += ["-q", queue]
    select = _resource(job, _pbs.SELECT_RESOURCE)
    if select is None:  # a rule of another workflow: Snakemake's standard resources
        cpus = int(job.resources.get("cpus_per_task") or job.threads or 1)
        select = f"1:ncpus={max(1, cpus)}"
        mem = job.resources.get("mem_mb")
        if mem:
            select += f":mem={int(mem)}mb"
    options += ["-l", f"select={select}"]
    walltime = _resource(job, _pbs.WALLTIME_RESOURCE)
    if walltime is None and job.resources.get("runtime"):
        walltime = _minutes_walltime(int(job.resources["runtime"]))
    if walltime:
        options += ["-l", f"walltime={walltime}"]
    options.append("-V")  # the job sees the submitting environment (Slurm's --export=ALL)
    options += shlex.split(_resource(job, _pbs.EXTRA_RESOURCE) or "")
    return options


def replacing(job: JobExecutorInterface) -> list[str]:
    """The user's options of this job that replace the submission's own."""
    return user_options.replacing(job, _pbs.REPLACING_OPTIONS_RESOURCE)


def apply(
    command: list[str], job: JobExecutorInterface, reported: set[str], logger: logging.Logger
) -> list[str]:
    """``command`` (qsub and its options) with the job's replacing options in place of ours
    (``cluster_utils.scheduler.user_options``, shared with the Slurm plugin).

    ``reported`` holds the kinds of options already reported (once per run each)."""
    return user_options.apply(command, replacing(job), _pbs.merge_options, reported, logger)


def queue_from_partition(job: JobExecutorInterface) -> bool:
    return bool(job.resources.get(_pbs.QUEUE_FROM_PARTITION_RESOURCE))
