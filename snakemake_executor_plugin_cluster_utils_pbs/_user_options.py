"""The job's qsub options from its resources, with the user's in place of the ones they replace.

``cluster_utils.backends.pbs.snakemake_resources`` turns cluster_requirements into resources
(``pbs_select``, ``pbs_walltime``, ``pbs_queue``, ``pbs_extra``, ``pbs_extra_replacing``); jobs of
other workflows may set them too, or Snakemake's standard ``runtime``/``mem_mb``/``cpus``.
"""

from __future__ import annotations

import json
import logging
import shlex

from snakemake_interface_executor_plugins.jobs import JobExecutorInterface

from cluster_utils.backends import get_backend

_pbs = get_backend("pbs")
#: cluster_utils.grid.snakemake_glue.MAPPING_ERRORS_RESOURCE: {backend: why it could not map the
#: job's cluster_requirements}
MAPPING_ERRORS_RESOURCE = "cluster_utils_mapping_errors"


def check_mapping(job: JobExecutorInterface) -> None:
    """Raise the error that kept the PBS backend from mapping this job's requirements."""
    value = job.resources.get(MAPPING_ERRORS_RESOURCE)
    error = json.loads(str(value)).get("pbs") if value else None
    if error:
        raise ValueError(f"cluster_requirements cannot be used on PBS: {error}")


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
    value = _resource(job, _pbs.REPLACING_OPTIONS_RESOURCE)
    return shlex.split(value) if value else []


def apply(
    command: list[str], job: JobExecutorInterface, reported: set[str], logger: logging.Logger
) -> list[str]:
    """``command`` (qsub and its options) with the job's replacing options in place of ours.

    ``reported`` holds the kinds of options already reported (once per run each)."""
    user_args = replacing(job)
    if not user_args:
        return command
    merged, replaced = _pbs.merge_options(command, user_args)
    for item in replaced:
        if item.group in reported:
            continue
        reported.add(item.group)
        logger.warning(
            f"cluster_utils: extra_submission_options {item.theirs!r} replaces {item.ours!r} "
            f"(from {item.source}): qsub gets the value of extra_submission_options"
        )
    return merged


def queue_from_partition(job: JobExecutorInterface) -> bool:
    return bool(job.resources.get(_pbs.QUEUE_FROM_PARTITION_RESOURCE))
