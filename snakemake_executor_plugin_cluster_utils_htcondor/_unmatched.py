"""Jobs no machine of the pool can ever match, and why.

A job whose requirements no machine meets (e.g. ``cuda_requirement = 9.0`` on a pool of CUDA 8.0
GPUs) stays idle forever and the plugin would wait forever. The executor asks here, for jobs idle
long enough, whether any machine could run them if it were idle (slot ads at full capacity: the
question ``condor_q -better-analyze`` answers) and, if none could, which clauses of the job's
``Requirements`` no machine satisfies.

The functions take job and machine ads of either ClassAd binding (``classad`` or ``classad2``);
:func:`find_unmatched_jobs` asks the daemons with ``condor_q`` / ``condor_status``.
"""

from __future__ import annotations

import importlib
import subprocess
import time
from collections.abc import Iterable
from typing import Any

import classad2

from ._clauses import attribute_references, requirement_clauses

#: Attributes of a slot ad that are replaced by the machine's totals before matching, so that a
#: job is "unmatched" only if it could not run on the machine even when the machine is idle.
_TOTALS = {
    "Cpus": "TotalSlotCpus",
    "Memory": "TotalSlotMemory",
    "Disk": "TotalSlotDisk",
    "GPUs": "TotalSlotGPUs",
}


def _at_full_capacity(machine_ad: Any) -> Any:
    ad = type(machine_ad)(str(machine_ad))  # a copy (classad.ClassAd or classad2.ClassAd)
    for current, total in _TOTALS.items():
        if total in machine_ad:
            ad[current] = machine_ad[total]
    return ad


def matching_machines(job_ad: Any, machine_ads: Iterable[Any]) -> list[str]:
    """Names of the machines (slot ads at full capacity) this job could ever match."""
    names: list[str] = []
    for machine_ad in machine_ads:
        if job_ad.symmetricMatch(_at_full_capacity(machine_ad)):
            names.append(str(machine_ad.get("Machine", machine_ad.get("Name", "?"))))
    return sorted(set(names))


def unsatisfiable_clauses(job_ad: Any, machine_ads: Iterable[Any]) -> list[str]:
    """The clauses of the job's Requirements that no machine (at full capacity) satisfies, each
    with the values those machines have for the attributes it asks about."""
    bindings = importlib.import_module(type(job_ad).__module__.split(".")[0])
    machines = [_at_full_capacity(ad) for ad in machine_ads]
    requirements = job_ad.get("Requirements")
    failing: list[str] = []
    for clause in requirement_clauses(str(requirements)) if requirements is not None else []:
        probe = type(job_ad)(str(job_ad))
        probe["Requirements"] = bindings.ExprTree(clause)
        if any(machine.matches(probe) for machine in machines):  # probe.Requirements
            continue
        # attributes of the machine it asks about: TARGET.X, or a bare X the job ad lacks
        names = [
            name
            for prefix, name in attribute_references(clause)
            if prefix.upper() == "TARGET." or (not prefix and name not in job_ad)
            if any(name in machine for machine in machines)
        ]
        seen = [
            f"{name} = {', '.join(sorted({str(m.get(name, 'undefined')) for m in machines}))}"
            for name in names
        ]
        failing.append(clause + (f" (the machines have {'; '.join(seen)})" if seen else ""))
    return failing


def unmatched_reason(job_ad: Any, machine_ads: Iterable[Any]) -> str | None:
    """None if some machine of the pool could run the job, else a message naming the
    requirements no machine meets (the answer of ``condor_q -better-analyze`` to "can it ever
    run here?")."""
    machine_ads = list(machine_ads)
    if matching_machines(job_ad, machine_ads):
        return None
    try:
        failing = unsatisfiable_clauses(job_ad, machine_ads) if machine_ads else []
    except Exception:  # the message is a courtesy; the verdict stands without it
        failing = []
    because = f"; no machine satisfies {' && '.join(failing)}" if failing else ""
    return (
        f"no machine in the pool can ever match the job ({len(machine_ads)} slot ads "
        f"checked){because}; Requirements = {job_ad.get('Requirements')}; "
        f"RequestCpus = {job_ad.get('RequestCpus')}, RequestMemory = "
        f"{job_ad.get('RequestMemory')}, RequestGPUs = {job_ad.get('RequestGPUs')}"
    )


def find_unmatched_jobs(cluster_ids: Iterable[int], min_idle_seconds: float) -> dict[int, str]:
    """Jobs among ``cluster_ids`` idle for at least ``min_idle_seconds`` that no machine of the
    pool can match: ``{cluster_id: reason}``.

    Uses ``condor_q -long`` / ``condor_status -long`` (on PATH on every submit node) and parses the
    ads with the classad bindings; this runs in Snakemake's status thread.
    """
    ids = sorted({int(i) for i in cluster_ids})
    if not ids:
        return {}
    constraint = "JobStatus == 1 && (" + " || ".join(f"ClusterId == {i}" for i in ids) + ")"
    now = time.time()
    idle = [
        ad
        for ad in _query_ads(["condor_q", "-long", "-constraint", constraint])
        if now - float(ad.get("EnteredCurrentStatus", now)) >= min_idle_seconds
    ]
    if not idle:
        return {}
    machines = _query_ads(["condor_status", "-long"])
    unmatched: dict[int, str] = {}
    for ad in idle:
        if (reason := unmatched_reason(ad, machines)) is not None:
            unmatched[int(ad["ClusterId"])] = reason
    return unmatched


def _query_ads(cmd: list[str]) -> list[Any]:
    """The ads a ``-long`` query prints."""
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    return list(classad2.parseAds(result.stdout)) if result.stdout.strip() else []
