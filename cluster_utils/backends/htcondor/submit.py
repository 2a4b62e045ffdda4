"""HTCondor backend: cluster_requirements -> submit commands, and the job-side resume hook.

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
                            added to the submit description unchanged
==========================  ======================================================================

Slurm-only keys (partition, request_time, signal_seconds_to_timeout) are ignored here.

Importing this module needs only the standard library: the job runner calls :func:`in_htcondor_job`
and :func:`request_resume` inside jobs. The HTCondor bindings are imported where they are needed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from cluster_utils.base.constants import RETURN_CODE_FOR_RESUME

logger = logging.getLogger(__name__)

#: Tokens of every ``user.<tag>`` concurrency limit on the MPI-IS cluster (and the test pool).
MAX_CONCURRENCY_TOKENS = 10000
#: Exit code of the HTCondor job (our wrapper) that asks for a hold + release, as in 3.0.
RESUME_EXIT_CODE = RETURN_CODE_FOR_RESUME
#: ``on_exit_hold_subcode`` that marks a resume hold (3.0 used 2 as well).
RESUME_HOLD_SUBCODE = 2
#: HoldReasonCode of holds caused by ``on_exit_hold`` (JobPolicy).
HOLD_REASON_JOB_POLICY = 3
#: Set by the job wrapper: the file whose existence tells it that the job asked to be resumed.
RESUME_FILE_ENV = "CLUSTER_UTILS_HTCONDOR_RESUME_FILE"
#: Resource that carries the verbatim extra submit commands (a JSON list of lines).
EXTRA_SUBMIT_RESOURCE = "cluster_utils_submit_extra"
#: Job ClassAd attribute that records the bid.
BID_ATTRIBUTE = "ClusterUtilsBid"
#: The MPI-IS wrapper around condor_submit: ``condor_submit_bid <bid> [condor_submit args] <file>``.
SUBMIT_BID_COMMAND = "condor_submit_bid"

#: The exit_for_resume policy (3.0's on_exit_hold / periodic_release pair): an exit with code 3
#: holds the job, and the schedd releases it at its next periodic evaluation
#: (PERIODIC_EXPR_INTERVAL, 60 s by default); it then runs again with the same arguments.
RESUME_POLICY: dict[str, str] = {
    "on_exit_hold": f"(ExitCode =?= {RESUME_EXIT_CODE})",
    "on_exit_hold_reason": '"cluster_utils: exit_for_resume, will resume"',
    "on_exit_hold_subcode": str(RESUME_HOLD_SUBCODE),
    "periodic_release": (
        f"((JobStatus =?= 5) && (HoldReasonCode =?= {HOLD_REASON_JOB_POLICY})"
        f" && (HoldReasonSubCode =?= {RESUME_HOLD_SUBCODE}))"
    ),
}

_COMPARISON = re.compile(r"^\s*(<=|>=|<|>)\s*(.+?)\s*$")
_ATTRIBUTE = re.compile(r"(?i)\b(TARGET\.|MY\.)?([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SUBMIT_LINE = re.compile(r"^\s*([+A-Za-z_][A-Za-z0-9_.+]*)\s*=\s*(.*?)\s*$")


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


# --- extra submission options --------------------------------------------------------------------


def extra_submit_lines(extra: Mapping[str, Any] | Iterable[str] | str | None) -> list[str]:
    """3.0's ``extra_submission_options``: dict -> ``key = value``, list -> lines, str -> lines."""
    if extra is None:
        return []
    if isinstance(extra, str):
        lines = extra.splitlines()
    elif isinstance(extra, Mapping):
        lines = [f"{key} = {value}" for key, value in extra.items()]
    else:
        lines = [str(line) for line in extra]
    return [line.rstrip() for line in lines if line.strip()]


def parse_submit_lines(lines: Iterable[str]) -> dict[str, str]:
    """Submit-language lines (``key = value``) as a dict for ``htcondor.Submit``; values are kept
    verbatim (no quoting). Comments and blank lines are skipped; ``queue`` is not allowed."""
    commands: dict[str, str] = {}
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if re.match(r"(?i)^queue\b", stripped):
            raise ValueError("extra_submission_options must not contain a 'queue' statement")
        match = _SUBMIT_LINE.match(stripped)
        if not match:
            raise ValueError(f"extra_submission_options: not a 'key = value' line: {line!r}")
        commands[match.group(1)] = match.group(2)
    return commands


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
    """What our executor adds on top of the plugin: request_cpus, getenv, the resume policy and
    the verbatim extra commands (last, so that they can override anything)."""
    commands: dict[str, str] = {}
    if "request_cpus" in resources:
        commands["request_cpus"] = str(resources["request_cpus"])
    # 3.0 submitted with getenv=True: the job sees the driver's environment
    commands["getenv"] = str(resources.get("getenv", "True"))
    if resume:
        commands.update(RESUME_POLICY)
    raw = resources.get(EXTRA_SUBMIT_RESOURCE)
    if raw:
        commands.update(parse_submit_lines(json.loads(raw)))
    return commands


def submit_description(
    cluster_requirements: Mapping[str, Any],
    *,
    executable: str = "/bin/true",
    arguments: str | None = None,
    batch_name: str | None = None,
    log: str | None = None,
    output: str | None = None,
    error: str | None = None,
    resume: bool = True,
) -> str:
    """The submit description (text) of a job with these cluster_requirements, as our executor
    submits it (executable/arguments/logs are the plugin's; placeholders by default)."""
    resources = snakemake_resources(cluster_requirements)
    commands: dict[str, str] = {"executable": executable}
    if arguments:
        commands["arguments"] = arguments
    for key, value in (("batch_name", batch_name), ("log", log), ("output", output)):
        if value:
            commands[key] = value
    if error:
        commands["error"] = error
    commands["request_cpus"] = "1"
    commands.update(plugin_submit_commands(resources))
    commands.update(cluster_utils_submit_commands(resources, resume=resume))
    lines = ["# cluster_utils HTCondor job"]
    lines += [f"{key} = {value}" for key, value in commands.items()]
    lines.append("queue")
    return "\n".join(lines) + "\n"


# --- bid -----------------------------------------------------------------------------------------


def submit_bid_command() -> str | None:
    """Path of ``condor_submit_bid`` (MPI-IS) if it is on PATH."""
    return shutil.which(SUBMIT_BID_COMMAND)


# --- job side: exit_for_resume -------------------------------------------------------------------


def in_htcondor_job() -> bool:
    """True inside an HTCondor job (the starter sets ``_CONDOR_JOB_AD``) or under our wrapper."""
    return "_CONDOR_JOB_AD" in os.environ or RESUME_FILE_ENV in os.environ


def request_resume() -> int | None:
    """Called by the job runner after the script exited with code 3 (exit_for_resume).

    Under our executor's job wrapper this records the request and returns the exit code the runner
    should exit with: Snakemake's job sub-run then fails, the wrapper sees the request and exits 3,
    and HTCondor holds the job (``on_exit_hold``) and releases it again (``periodic_release``): the
    same job runs again with the same parameters and working directory, not counted as a failure.
    Without the wrapper (plain ``htcondor`` executor: no hold policy) returns None: the runner
    re-runs the script in place.
    """
    path = os.environ.get(RESUME_FILE_ENV)
    if not path:
        return None
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".resume-")
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{os.getpid()}\n")
        os.replace(tmp, target)
    except OSError as exc:
        logger.warning("cannot record the resume request in %s (%s); resuming in place", path, exc)
        return None
    return RESUME_EXIT_CODE


# --- unmatched (never matchable) jobs ------------------------------------------------------------

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


def requirement_clauses(expr: str) -> list[str]:
    """The top-level ``&&`` clauses of a ClassAd expression, each without enclosing parentheses
    (``(A && B) && C`` -> ``[A, B, C]``)."""
    text = expr.strip()
    while text.startswith("(") and _closing_paren(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    parts, depth, start = [], 0, 0
    for i, char in _unquoted_chars(text):
        if i < start:  # the second "&" of a split
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and text.startswith("&&", i):
            parts.append(text[start:i])
            start = i + 2
    parts.append(text[start:])
    if len(parts) == 1:
        return [text] if text else []
    return [clause for part in parts for clause in requirement_clauses(part)]


def _closing_paren(text: str, open_at: int) -> int:
    depth = 0
    for i, char in _unquoted_chars(text, open_at):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _unquoted_chars(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """``(index, char)`` of every character outside double-quoted ClassAd strings."""
    quoted, i = False, start
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "\\":
                i += 1  # an escaped character inside a string
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        else:
            yield i, char
        i += 1


def unsatisfiable_clauses(job_ad: Any, machine_ads: Iterable[Any]) -> list[str]:
    """The clauses of the job's Requirements that no machine (at full capacity) satisfies, each
    with the values those machines have for the attributes it asks about."""
    import importlib

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
            for prefix, name in dict.fromkeys(_ATTRIBUTE.findall(_STRING.sub('""', clause)))
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
    import subprocess
    import time

    import classad2

    ids = sorted({int(i) for i in cluster_ids})
    if not ids:
        return {}
    constraint = "JobStatus == 1 && (" + " || ".join(f"ClusterId == {i}" for i in ids) + ")"

    def query(cmd: list[str]) -> list[Any]:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
        return list(classad2.parseAds(result.stdout)) if result.stdout.strip() else []

    now = time.time()
    idle = [
        ad
        for ad in query(["condor_q", "-long", "-constraint", constraint])
        if now - float(ad.get("EnteredCurrentStatus", now)) >= min_idle_seconds
    ]
    if not idle:
        return {}
    machines = query(["condor_status", "-long"])
    unmatched: dict[int, str] = {}
    for ad in idle:
        if (reason := unmatched_reason(ad, machines)) is not None:
            unmatched[int(ad["ClusterId"])] = reason
    return unmatched


# --- job wrapper (executable side of the resume policy) ------------------------------------------

#: Prefix our executor puts before the plugin's ``-m snakemake ...`` job arguments.
WRAPPER_ARGUMENTS = "-m cluster_utils.backends.htcondor"


def job_wrapper_main(argv: list[str] | None = None) -> int:
    """``python -m cluster_utils.backends.htcondor -m snakemake ...`` (the HTCondor job's command).

    Runs Snakemake's job sub-run with :data:`RESUME_FILE_ENV` pointing at a fresh file in the job's
    scratch directory. If the job asked to be resumed (:func:`request_resume` created the file),
    exits with :data:`RESUME_EXIT_CODE` so that :data:`RESUME_POLICY` holds and releases the job;
    otherwise exits like the sub-run (a sub-run exit code equal to the resume code becomes 1, so
    that a plain failure is never mistaken for a resume request).
    """
    import signal
    import subprocess
    import sys

    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m cluster_utils.backends.htcondor PYTHON-ARGS...", file=sys.stderr)
        return 2
    base = os.environ.get("_CONDOR_SCRATCH_DIR") or tempfile.gettempdir()
    marker_dir = tempfile.mkdtemp(prefix="cluster-utils-", dir=base)
    marker = os.path.join(marker_dir, "resume-requested")
    env = dict(os.environ, **{RESUME_FILE_ENV: marker})
    proc = subprocess.Popen([sys.executable, *args], env=env)

    def forward(signum: int, _frame: Any) -> None:
        proc.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, forward)
    code = proc.wait()
    resumed = os.path.exists(marker)
    shutil.rmtree(marker_dir, ignore_errors=True)
    if resumed:
        print(
            f"cluster_utils: the job asked to be resumed (exit_for_resume); exiting with "
            f"{RESUME_EXIT_CODE} so that HTCondor holds and releases it",
            file=sys.stderr,
            flush=True,
        )
        return RESUME_EXIT_CODE
    if code < 0:  # killed by a signal: die the same way, so that HTCondor sees it
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code
    return 1 if code == RESUME_EXIT_CODE else code


if __name__ == "__main__":
    raise SystemExit(job_wrapper_main())
