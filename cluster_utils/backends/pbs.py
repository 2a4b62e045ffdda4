"""PBS backend (OpenPBS, PBS Professional): cluster_requirements -> qsub options, job-side hooks.

Submission goes through the executor ``cluster-utils-pbs`` (package
``snakemake_executor_plugin_cluster_utils_pbs``, profiles/pbs). Grid jobs run as PBS array subjobs
(``qsub -J``) whose script execs the runner (``python -m cluster_utils.runner EXP JOB_ID``)
directly; other rules run Snakemake's own job command. Details and measurements in docs/pbs.md:

* **exit_for_resume** (exit code 3): an ordinary PBS user may not requeue a running job
  (``qrerun`` needs operator rights), so :func:`request_resume` makes the runner end with exit code
  3; the executor sees that exit status with the job recorded as pending and submits the job
  again (a new PBS job with a fresh walltime), which is neither a failure nor a new Snakemake job.
* **signal_seconds_to_timeout**: PBS has no ``--signal``; the runner's own timer sends SIGUSR1
  that many seconds before the job's walltime (request_time), counted from the job's start
  (:func:`arm_timeout_signal`).
* **request_time** becomes ``-l walltime=``; PBS kills the job past it (exit status -29,
  JOB_EXEC_KILL_WALLTIME), reported as "exceeded request_time".
"""

from __future__ import annotations

import os
import shlex
import signal
import threading
from collections.abc import Mapping
from typing import Any

# merge_options: for the executor, which reaches this module through get_backend("pbs")
from cluster_utils.backends.pbs_options import merge_options as merge_options
from cluster_utils.backends.pbs_options import split_user_options
from cluster_utils.backends.requirement_values import positive_int
from cluster_utils.backends.slurm import parse_slurm_time
from cluster_utils.backends.submit_options import extra_submission_args
from cluster_utils.backends.timeout_signal import signal_before_end
from cluster_utils.base.constants import RETURN_CODE_FOR_RESUME

#: cluster_requirements keys this backend uses; the rest (HTCondor's bid, cuda_requirement, ...,
#: Slurm's qos/account/constraint) are ignored here.
PBS_KEYS = (
    "queue",
    "partition",
    "request_cpus",
    "request_gpus",
    "memory_in_mb",
    "request_time",
    "hostname_list",
    "forbidden_hostnames",
    "signal_seconds_to_timeout",
    "extra_submission_options",
)

#: resources the cluster-utils-pbs executor reads (other executors ignore them)
SELECT_RESOURCE = "pbs_select"
WALLTIME_RESOURCE = "pbs_walltime"
QUEUE_RESOURCE = "pbs_queue"
EXTRA_RESOURCE = "pbs_extra"
#: the user's qsub options that replace ours (see pbs_options)
REPLACING_OPTIONS_RESOURCE = "pbs_extra_replacing"
#: set when the queue came from 3.0's ``partition`` key (the executor says so once)
QUEUE_FROM_PARTITION_RESOURCE = "pbs_queue_from_partition"

#: environment variable the executor puts into its jobs (the run's UUID): a runner that sees it
#: (and PBS_JOBID) may hand a resume back to the executor
RUN_ENV = "CLUSTER_UTILS_PBS_RUN"
#: PBS' exit status of a job killed at its walltime (JOB_EXEC_KILL_WALLTIME)
EXIT_KILLED_WALLTIME = -29
#: PBS' exit status of a job killed for using more memory than requested (JOB_EXEC_KILL_MEM)
EXIT_KILLED_MEMORY = -27


def walltime(request_time: str | int) -> str:
    """``HH:MM:SS`` for request_time in any of 3.0's (Slurm's) time formats."""
    try:
        seconds = parse_slurm_time(request_time)
    except ValueError as error:
        raise ValueError(f"cluster_requirements.{error}") from error
    if seconds <= 0:
        raise ValueError(
            f"cluster_requirements.request_time must be positive, got {request_time!r}"
        )
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _host_names(value: Any, key: str) -> list[str]:
    hosts = [value] if isinstance(value, str) else list(value or [])
    for host in hosts:
        if not isinstance(host, str) or not host or any(c in host for c in ":=,+ "):
            raise ValueError(f"cluster_requirements.{key}: {host!r} is not a host name")
    return hosts


def select_statement(cluster_requirements: Mapping[str, Any]) -> str:
    """``1:ncpus=N:mem=Mmb[:ngpus=G][:host=H]``: one chunk holding the whole job."""
    req = cluster_requirements
    parts = ["1", f"ncpus={positive_int(req.get('request_cpus', 1) or 1, 'request_cpus')}"]
    if req.get("memory_in_mb"):
        parts.append(f"mem={positive_int(req['memory_in_mb'], 'memory_in_mb')}mb")
    gpus = positive_int(req.get("request_gpus") or 0, "request_gpus", allow_zero=True)
    if gpus:
        parts.append(f"ngpus={gpus}")
    hosts = _host_names(req.get("hostname_list"), "hostname_list")
    if len(hosts) == 1:
        parts.append(f"host={hosts[0]}")
    return ":".join(parts)


def unexpressed_requirements(cluster_requirements: Mapping[str, Any]) -> list[str]:
    """What PBS cannot express and the submission leaves out, one message per key naming it.

    A ``hostname_list`` of several hosts: a select statement names one host, never "any of
    these". 3.0 accepted such lists everywhere (its Slurm backend ignored the key, and its own
    examples carry one), so they are warnings; strict validation makes them config errors.
    """
    hosts = _host_names(cluster_requirements.get("hostname_list"), "hostname_list")
    if len(hosts) <= 1:
        return []
    return [
        "cluster_requirements.hostname_list: PBS can place a job on one named host "
        f"(select ...:host=NAME), not on any of several ({', '.join(hosts)}); the jobs go to "
        "any host (give one host or use a queue)"
    ]


#: what the executor logs (once per run) when the queue comes from 3.0's ``partition`` key
PARTITION_AS_QUEUE_NOTICE = (
    "cluster_requirements.partition is used as the PBS queue (qsub -q); on PBS the key is called "
    "queue"
)


def requirement_notices(cluster_requirements: Mapping[str, Any]) -> list[str]:
    """What the user should know about how PBS reads the cluster_requirements (said once, before
    anything is submitted): 3.0's ``partition`` taken for the queue."""
    req = cluster_requirements
    return [PARTITION_AS_QUEUE_NOTICE] if req.get("partition") and not req.get("queue") else []


def snakemake_resources(cluster_requirements: Mapping[str, Any]) -> dict[str, Any]:
    """Resources for a rule run by the ``cluster-utils-pbs`` executor.

    ============================== ===================================================
    cluster_requirements           resource (-> qsub option)
    ============================== ===================================================
    request_cpus, memory_in_mb,    pbs_select (-> -l select=1:ncpus=N:mem=Mmb
    request_gpus, hostname_list    [:ngpus=G][:host=H]); several hosts: left out
                                   (unexpressed_requirements)
    request_time                   pbs_walltime (-> -l walltime=HH:MM:SS)
    queue (or 3.0's partition)     pbs_queue (-> -q)
    forbidden_hostnames            an error: PBS cannot exclude hosts
    extra_submission_options       pbs_extra (verbatim), or pbs_extra_replacing for
                                   those that set what the submission sets (walltime,
                                   select/ncpus/mem/ngpus, -q, -V): the executor then
                                   leaves its own option out
    signal_seconds_to_timeout      nothing: the runner's own timer
    ============================== ===================================================

    Raises ValueError (naming the key) for what PBS would refuse.
    """
    req = cluster_requirements
    res: dict[str, Any] = {SELECT_RESOURCE: select_statement(req)}
    if req.get("forbidden_hostnames"):
        raise ValueError(
            "cluster_requirements.forbidden_hostnames: PBS cannot keep a job off named hosts "
            "(a select statement can only name the host to use); use hostname_list with one "
            "host, or a queue"
        )
    if req.get("request_time") is not None:
        res[WALLTIME_RESOURCE] = walltime(req["request_time"])
    queue = req.get("queue") or req.get("partition")
    if queue:
        queue = str(queue)
        if not queue or any(c.isspace() for c in queue) or "," in queue:
            raise ValueError(f"cluster_requirements.queue: {queue!r} is not one PBS queue name")
        res[QUEUE_RESOURCE] = queue
        if not req.get("queue"):
            res[QUEUE_FROM_PARTITION_RESOURCE] = 1
    try:
        plain, replacing = split_user_options(
            extra_submission_args(req.get("extra_submission_options"), "qsub", " on PBS")
        )
    except ValueError as error:
        key = "cluster_requirements.extra_submission_options"
        raise ValueError(str(error) if key in str(error) else f"{key}: {error}") from error
    if plain:
        res[EXTRA_RESOURCE] = shlex.join(plain)
    if replacing:
        res[REPLACING_OPTIONS_RESOURCE] = shlex.join(replacing)
    return res


# ----------------------------------------------------------------------------- job side


def own_job_id() -> str | None:
    """This job's PBS id (``12[3].server`` in an array)."""
    return os.environ.get("PBS_JOBID") or None


def in_pbs_job() -> bool:
    """True inside a job that the cluster-utils-pbs executor submitted (not in a user's own
    ``qsub -I`` session that runs a workflow locally)."""
    return bool(own_job_id() and os.environ.get(RUN_ENV))


def request_resume() -> int | None:
    """Called by the runner after the script exited for resume (exit code 3).

    Inside our executor's job: returns exit code 3; the executor sees the job end with it, the
    job recorded as pending, and submits it again (fresh walltime, same working directory).
    Elsewhere None: the runner re-runs the script in place.
    """
    if not in_pbs_job():
        return None
    return RETURN_CODE_FOR_RESUME


def arm_timeout_signal(
    pid: int,
    seconds_to_timeout: int,
    request_time: str | int | None,
    started: float,
    sig: int = signal.SIGUSR1,
) -> threading.Timer | None:
    """Send ``sig`` to ``pid`` ``seconds_to_timeout`` s before the job's walltime
    (request_time, counted from ``started``, the job's start); None without a request_time."""
    if request_time is None:
        return None
    end = started + parse_slurm_time(request_time)
    return signal_before_end(pid, end, seconds_to_timeout, sig)
