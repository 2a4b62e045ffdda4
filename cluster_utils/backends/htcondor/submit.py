"""HTCondor submission: 3.0's cluster_requirements -> Snakemake resources -> submit commands.

Jobs go to HTCondor through Snakemake's HTCondor executor plugin, extended by our executor
``cluster-utils-htcondor`` (package ``snakemake_executor_plugin_cluster_utils_htcondor``), which
adds what the plugin cannot express: the exit_for_resume hold/release policy, verbatim extra submit
commands, ``request_cpus`` from the config, ``condor_submit_bid`` and the unmatched-job check.

The translation of cluster_requirements follows cluster_utils 3.0 (``condor_cluster_system.py``):

==========================  ======================================================================
cluster_requirements        submitted as
==========================  ======================================================================
request_cpus                ``request_cpus`` (resource ``request_cpus``; the plugin alone would use
                            the rule's ``threads``)
request_gpus                ``request_gpus``
memory_in_mb                ``request_memory`` (MB; the plugin does not translate ``mem_mb``)
cuda_requirement            (only with request_gpus > 0, as in 3.0) number ``X`` ->
                            ``TARGET.CUDACapability>=X``; ``<X``/``<=X``/``>X``/``>=X`` ->
                            ``TARGET.CUDACapability<X`` ...; anything else verbatim
gpu_memory_mb               (only with request_gpus > 0) ``TARGET.CUDAGlobalMemoryMb>=N``
hostname_list               ``(UtsnameNodename =?= "h1" || UtsnameNodename =?= "h2")``
forbidden_hostnames         ``UtsnameNodename =!= "h"`` per host
(all requirements)          joined with `` && `` into ``requirements``
concurrency_limit_tag/      ``+ConcurrencyLimits = "user.<tag>:<10000 // concurrency_limit>"``
concurrency_limit           (= ``concurrency_limits = user.<tag>:<tokens>``)
bid                         ``+ClusterUtilsBid = <bid>``; submitted with ``condor_submit_bid <bid>``
                            where that command exists, else through the schedd bindings
extra_submission_options    dict -> ``key = value`` lines, list -> lines, str -> verbatim lines;
                            added last, exactly as given: they win over any of the above
                            (:mod:`.submit_options`)
==========================  ======================================================================

Slurm-only keys (partition, request_time, signal_seconds_to_timeout) are ignored here.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Iterable, Mapping
from typing import Any

from .resume import RESUME_POLICY
from .submit_options import (
    OverrideWarnings,
    extra_submit_lines,
    merge_extra_commands,
    parse_submit_lines,
)

logger = logging.getLogger(__name__)

#: Tokens of every ``user.<tag>`` concurrency limit on the MPI-IS cluster (and the test pool).
MAX_CONCURRENCY_TOKENS = 10000
#: Resource that carries the verbatim extra submit commands (a JSON list of lines).
EXTRA_SUBMIT_RESOURCE = "cluster_utils_submit_extra"
#: Job ClassAd attribute that records the bid.
BID_ATTRIBUTE = "ClusterUtilsBid"
#: The MPI-IS wrapper around condor_submit: ``condor_submit_bid <bid> [condor_submit args] <file>``.
SUBMIT_BID_COMMAND = "condor_submit_bid"

#: Warns about extra options that replace a value in :func:`submit_description` (once per key).
_DESCRIPTION_WARNINGS = OverrideWarnings()

_COMPARISON = re.compile(r"^\s*(<=|>=|<|>)\s*(.+?)\s*$")


# --- cluster_requirements -> requirements --------------------------------------------------------


def cuda_requirement_expr(cuda_requirement: str | float | int) -> str:
    """3.0's ``cuda_requirement``: a number is a minimum capability, ``<X`` / ``<=X`` (also ``>``,
    ``>=``) a bound, anything else a full ClassAd expression used verbatim."""
    if isinstance(cuda_requirement, bool):
        raise TypeError("cuda_requirement must be a number or a string, not a bool")
    if isinstance(cuda_requirement, int | float):
        return f"TARGET.CUDACapability>={cuda_requirement}"
    text = str(cuda_requirement).strip()
    if _COMPARISON.match(text):
        return f"TARGET.CUDACapability{text}"
    try:
        float(text)
    except ValueError:
        return text
    return f"TARGET.CUDACapability>={text}"


def _hostnames(value: str | Iterable[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(host) for host in value]


def requirement_exprs(cluster_requirements: Mapping[str, Any]) -> list[str]:
    """The individual ``requirements`` clauses, in 3.0's order."""
    exprs: list[str] = []
    gpus = int(cluster_requirements.get("request_gpus") or 0)
    if gpus > 0:
        cuda = cluster_requirements.get("cuda_requirement")
        if cuda is not None and cuda != "":
            exprs.append(cuda_requirement_expr(cuda))
        gpu_memory = cluster_requirements.get("gpu_memory_mb")
        if gpu_memory is not None:
            exprs.append(f"TARGET.CUDAGlobalMemoryMb>={int(gpu_memory)}")
    else:
        for key in ("cuda_requirement", "gpu_memory_mb"):
            if cluster_requirements.get(key) is not None:
                logger.warning("cluster_requirements.%s is ignored without request_gpus > 0", key)
    allowed = _hostnames(cluster_requirements.get("hostname_list"))
    if allowed:
        exprs.append("(" + " || ".join(f'UtsnameNodename =?= "{h}"' for h in allowed) + ")")
    exprs.extend(
        f'UtsnameNodename =!= "{h}"'
        for h in _hostnames(cluster_requirements.get("forbidden_hostnames"))
    )
    return exprs


def requirements_expr(cluster_requirements: Mapping[str, Any]) -> str | None:
    """All requirements joined with `` && ``, or None when there are none."""
    exprs = requirement_exprs(cluster_requirements)
    return " && ".join(exprs) if exprs else None


def concurrency_limits(cluster_requirements: Mapping[str, Any]) -> str | None:
    """``user.<tag>:<tokens>`` so that at most ``concurrency_limit`` jobs run at once."""
    tag = cluster_requirements.get("concurrency_limit_tag")
    limit = cluster_requirements.get("concurrency_limit")
    if tag is None or limit is None:
        return None
    limit = int(limit)
    if limit < 1:
        raise ValueError(f"cluster_requirements.concurrency_limit must be >= 1, got {limit}")
    return f"user.{tag}:{MAX_CONCURRENCY_TOKENS // limit}"


# --- resources for Snakemake ---------------------------------------------------------------------


def snakemake_resources(cluster_requirements: Mapping[str, Any]) -> dict[str, Any]:
    """Snakemake resources for a job with these 3.0 ``cluster_requirements``.

    Meant for ``resources:`` of the job rule run with ``executor: cluster-utils-htcondor``
    (profiles/htcondor). The plugin's own keys (request_gpus, request_memory, requirements,
    ``classad_X``) also work with the plain ``htcondor`` executor; ``request_cpus`` and the extra
    submit commands need ours (with the plain plugin use ``threads`` for the CPUs).
    """
    cr = cluster_requirements
    resources: dict[str, Any] = {}
    if cr.get("request_cpus") is not None:
        resources["request_cpus"] = int(cr["request_cpus"])
    if cr.get("request_gpus") is not None:
        resources["request_gpus"] = int(cr["request_gpus"])
    if cr.get("memory_in_mb") is not None:
        resources["request_memory"] = int(cr["memory_in_mb"])
    if (requirements := requirements_expr(cr)) is not None:
        resources["requirements"] = requirements
    if (limits := concurrency_limits(cr)) is not None:
        resources["classad_ConcurrencyLimits"] = limits
    if cr.get("bid") is not None:
        resources[f"classad_{BID_ATTRIBUTE}"] = int(cr["bid"])
    extra = extra_submit_lines(cr.get("extra_submission_options"))
    if extra:
        parse_submit_lines(extra)  # fail early, before anything is submitted
        resources[EXTRA_SUBMIT_RESOURCE] = json.dumps(extra)
    return resources


def plugin_submit_commands(resources: Mapping[str, Any]) -> dict[str, str]:
    """The submit commands the HTCondor plugin derives from these resources (its ``classad_X`` ->
    ``+X`` with strings quoted; pass-through keys unchanged)."""
    commands: dict[str, str] = {}
    for key in ("request_gpus", "request_memory", "requirements"):
        if key in resources:
            commands[key] = str(resources[key])
    for key, value in resources.items():
        if key.startswith("classad_"):
            name = "+" + key.removeprefix("classad_")
            commands[name] = f'"{value}"' if isinstance(value, str) else str(value)
    return commands


def cluster_utils_submit_commands(
    resources: Mapping[str, Any], *, resume: bool = True
) -> dict[str, str]:
    """What our executor adds on top of the plugin, before the extra options: request_cpus,
    getenv and (for jobs under the wrapper) the resume policy."""
    commands: dict[str, str] = {}
    if "request_cpus" in resources:
        commands["request_cpus"] = str(resources["request_cpus"])
    # 3.0 submitted with getenv=True: the job sees the driver's environment
    commands["getenv"] = str(resources.get("getenv", "True"))
    if resume:
        commands.update(RESUME_POLICY)
    return commands


def extra_submit_commands(resources: Mapping[str, Any]) -> dict[str, str]:
    """The extra_submission_options carried by these resources, as submit commands."""
    raw = resources.get(EXTRA_SUBMIT_RESOURCE)
    return parse_submit_lines(json.loads(raw)) if raw else {}


def complete_submit_commands(
    commands: dict[str, Any],
    resources: Mapping[str, Any],
    *,
    resume: bool,
    warnings: OverrideWarnings,
) -> None:
    """Complete the plugin's submit commands in place, as our executor submits them: add
    :func:`cluster_utils_submit_commands`, then the extra options exactly as given (last: they
    replace any value set before; ``warnings`` names every key they change)."""
    commands.update(cluster_utils_submit_commands(resources, resume=resume))
    warnings(merge_extra_commands(commands, extra_submit_commands(resources)))


def submit_description(
    cluster_requirements: Mapping[str, Any],
    *,
    executable: str = "/bin/true",
    resume: bool = True,
    warnings: OverrideWarnings | None = None,
) -> str:
    """The submit description (text) of a job with these cluster_requirements, as our executor
    submits it (the plugin's executable, arguments and log files are left out or placeholders).
    ``warnings`` defaults to one shared by every call (a key is warned about once a process)."""
    resources = snakemake_resources(cluster_requirements)
    commands: dict[str, Any] = {"executable": executable, "request_cpus": "1"}
    commands.update(plugin_submit_commands(resources))
    complete_submit_commands(
        commands,
        resources,
        resume=resume,
        warnings=_DESCRIPTION_WARNINGS if warnings is None else warnings,
    )
    lines = ["# cluster_utils HTCondor job"]
    lines += [f"{key} = {value}" for key, value in commands.items()]
    lines.append("queue")
    return "\n".join(lines) + "\n"


def submit_bid_command() -> str | None:
    """Path of ``condor_submit_bid`` (MPI-IS) if it is on PATH."""
    return shutil.which(SUBMIT_BID_COMMAND)
