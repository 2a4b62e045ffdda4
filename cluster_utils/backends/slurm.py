"""Slurm backend: cluster_requirements -> Snakemake Slurm-executor resources, and job-side hooks.

Submission goes through the executor ``cluster-utils-slurm`` (package
``snakemake_executor_plugin_cluster_utils_slurm``, profiles/slurm), a subclass of
snakemake-executor-plugin-slurm. Grid jobs run as Slurm array tasks whose batch script execs
the runner (``python -m cluster_utils.runner EXP JOB_ID``) directly; jobs of other rules keep the
plugin's chain (batch shell -> ``snakemake`` jobstep -> ``srun`` -> ``snakemake`` -> rule shell).
Details and evidence in docs/slurm.md:

* **exit_for_resume** (exit code 3): :func:`request_resume` requeues the *same* Slurm job (or
  array task) with ``scontrol requeue``. Slurm restarts it with a fresh time limit; the
  executor's status check only sees REQUEUED/PENDING/RUNNING, so it is neither a failure nor a
  new Snakemake job, and no other job waits for it.
* **signal_seconds_to_timeout**: no ``sbatch --signal`` (in the plugin's chain it killed the
  nested ``snakemake``; Slurm also sends it up to a minute early): the runner calls
  :func:`arm_timeout_signal`, which sends SIGUSR1 to the job script itself N seconds before
  the job's end time as Slurm reports it.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from cluster_utils.backends.requirement_values import positive_int

# merge_options: for the executor, which reaches this module through get_backend("slurm")
from cluster_utils.backends.slurm_options import merge_options as merge_options
from cluster_utils.backends.slurm_options import split_user_options
from cluster_utils.backends.submit_options import extra_submission_args
from cluster_utils.backends.timeout_signal import signal_before_end
from cluster_utils.base.constants import RETURN_CODE_FOR_RESUME

#: cluster_requirements keys this backend uses; the rest (HTCondor's bid, cuda_requirement,
#: gpu_memory_mb, concurrency_limit[_tag], hostname_list, ...) are ignored here.
SLURM_KEYS = (
    "partition",
    "request_cpus",
    "request_gpus",
    "memory_in_mb",
    "request_time",
    "forbidden_hostnames",
    "signal_seconds_to_timeout",
    "extra_submission_options",
    "qos",
    "account",
    "constraint",
)

#: resource with the user's sbatch options that replace ours (see slurm_options); only the
#: cluster-utils-slurm executor reads it
REPLACING_OPTIONS_RESOURCE = "slurm_extra_replacing"
#: cluster_requirements keys that are Slurm-plugin resources of the same meaning
_PLUGIN_RESOURCES = {"qos": "qos", "account": "slurm_account", "constraint": "constraint"}

#: Always added: a requeued (resumed) job appends to its Slurm log instead of truncating it.
APPEND_LOG_OPTION = "--open-mode=append"

# "minutes", "minutes:seconds", "hours:minutes:seconds", "days-hours", "days-hours:minutes",
# "days-hours:minutes:seconds" (sbatch --time)
_TIME_RE = re.compile(
    r"^(?:(?P<days>\d+)-(?P<dh>\d+)(?::(?P<dm>\d+)(?::(?P<ds>\d+))?)?"
    r"|(?P<a>\d+)(?::(?P<b>\d+)(?::(?P<c>\d+))?)?)$"
)
# the Slurm executor's job names: the run's UUID, optionally "<jobname_prefix>_<uuid>"
_EXECUTOR_JOB_NAME_RE = re.compile(
    r"(?:^|_)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


def parse_slurm_time(value: str | int) -> int:
    """Seconds of a Slurm time limit in any ``sbatch --time`` format (an int means minutes)."""
    if isinstance(value, bool):
        raise ValueError(f"request_time must be a Slurm time string, not {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"request_time must not be negative, got {value}")
        return value * 60
    match = _TIME_RE.match(str(value).strip())
    if match is None:
        raise ValueError(
            f"request_time {value!r} is not a Slurm time: expected one of 'minutes', "
            "'minutes:seconds', 'hours:minutes:seconds', 'days-hours', 'days-hours:minutes', "
            "'days-hours:minutes:seconds'"
        )
    g = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    if "days" in g:
        return g["days"] * 86400 + g["dh"] * 3600 + g.get("dm", 0) * 60 + g.get("ds", 0)
    if "c" in g:  # hours:minutes:seconds
        return g["a"] * 3600 + g["b"] * 60 + g["c"]
    if "b" in g:  # minutes:seconds
        return g["a"] * 60 + g["b"]
    return g["a"] * 60  # minutes


def runtime_minutes(request_time: str | int) -> int:
    """Snakemake ``runtime`` (whole minutes, rounded up, at least 1) for a Slurm time limit.

    Slurm keeps time limits in whole minutes and rounds seconds up itself, so rounding up
    here loses nothing: ``"1:30"`` and ``"2"`` are the same limit to Slurm.
    """
    return max(1, math.ceil(parse_slurm_time(request_time) / 60))


def snakemake_resources(cluster_requirements: Mapping[str, Any]) -> dict[str, Any]:
    """Resources for a Snakemake rule run by the Slurm executor plugin (2.x).

    ============================== ===================================================
    cluster_requirements           resource (-> sbatch option)
    ============================== ===================================================
    partition                      slurm_partition (-> -p; "a,b" allowed)
    request_cpus                   cpus_per_task (-> --cpus-per-task, also on the srun step)
    request_gpus (> 0)             gpu (-> --gpus=N, also on the srun step)
    memory_in_mb                   mem_mb (-> --mem)
    request_time                   runtime in minutes, rounded up (-> -t)
    qos                            qos (-> --qos)
    account                        slurm_account (-> -A)
    constraint                     constraint (-> -C)
    forbidden_hostnames            slurm_extra ``--exclude=a,b``
    extra_submission_options       each argument verbatim (quoted): slurm_extra, or
                                   slurm_extra_replacing for those that set something
                                   the submission sets too (time, memory, CPUs, GPUs,
                                   partition, account, qos, ...): the executor then
                                   leaves its own option out (slurm_options)
    signal_seconds_to_timeout      nothing: see :func:`arm_timeout_signal`
    ============================== ===================================================

    ``slurm_extra`` always starts with ``--open-mode=append`` so that a resumed (requeued)
    job's Slurm log is continued, not truncated. Snakemake's ``threads`` is not a resource:
    set the rule's ``threads`` from :func:`snakemake_threads`. Keys of other backends are
    ignored; unknown keys are rejected by config validation, not here.
    """
    req = cluster_requirements
    res: dict[str, Any] = {}
    if req.get("partition"):
        res["slurm_partition"] = str(req["partition"])
    if req.get("request_cpus") is not None:
        res["cpus_per_task"] = positive_int(req["request_cpus"], "request_cpus")
    if req.get("request_gpus"):
        gpus = positive_int(req["request_gpus"], "request_gpus", allow_zero=True)
        if gpus:
            res["gpu"] = gpus
    if req.get("memory_in_mb") is not None:
        res["mem_mb"] = positive_int(req["memory_in_mb"], "memory_in_mb")
    if req.get("request_time") is not None:
        res["runtime"] = runtime_minutes(req["request_time"])
    for key, resource in _PLUGIN_RESOURCES.items():
        if req.get(key):
            res[resource] = str(req[key])

    extra = [APPEND_LOG_OPTION]
    hosts = req.get("forbidden_hostnames") or []
    if isinstance(hosts, str):
        hosts = [hosts]
    if hosts:
        extra.append("--exclude=" + ",".join(str(h) for h in hosts))
    plain, replacing = split_user_options(
        extra_submission_args(req.get("extra_submission_options"), "sbatch", "")
    )
    extra.extend(plain)
    if replacing:
        res[REPLACING_OPTIONS_RESOURCE] = shlex.join(replacing)
    res["slurm_extra"] = shlex.join(extra)
    return res


def snakemake_threads(cluster_requirements: Mapping[str, Any]) -> int:
    """The rule's ``threads`` for these requirements (request_cpus, default 1)."""
    cpus = cluster_requirements.get("request_cpus")
    return 1 if cpus is None else positive_int(cpus, "request_cpus")


# ----------------------------------------------------------------------------- job side


def _job_fields(job_id: str) -> dict[str, str]:
    """``Key=Value`` fields of ``scontrol show job -o JOB_ID`` (empty dict on error)."""
    try:
        out = subprocess.run(
            ["scontrol", "show", "job", "-o", job_id],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return dict(re.findall(r"(?:^|\s)([A-Za-z:]+)=(\S*)", out))


def own_job_id() -> str | None:
    """This job's id for scontrol/squeue: ``<array>_<task>`` in an array task.

    In an array, the first task's SLURM_JOB_ID equals the array's id, and ``scontrol requeue
    <array id>`` would requeue every task of the array -- so tasks are always named in full.
    """
    array, task = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
    if array and task:
        return f"{array}_{task}"
    return os.environ.get("SLURM_JOB_ID") or None


def in_slurm_job() -> bool:
    """True inside a job that the Snakemake Slurm executor submitted.

    Needs ``SLURM_JOB_ID`` and a job name of the executor's form (the run's UUID), so that a
    workflow run locally inside someone's own ``salloc``/``sbatch`` job is not mistaken for
    one (requeueing that would restart the user's whole allocation). The job step the rule
    runs in does not see the job's name (``SLURM_JOB_NAME`` is the step's), so it is asked
    from ``scontrol`` (one call).
    """
    job_id = own_job_id()
    if not job_id:
        return False
    if _EXECUTOR_JOB_NAME_RE.search(os.environ.get("SLURM_JOB_NAME", "")):
        return True
    return bool(_EXECUTOR_JOB_NAME_RE.search(_job_fields(job_id).get("JobName", "")))


def restart_count() -> int:
    """How often Slurm has requeued (resumed) this job so far: 0 on the first run."""
    job_id = own_job_id()
    value = os.environ.get("SLURM_RESTART_COUNT")  # only in the batch step's environment
    if value is None and job_id:
        value = _job_fields(job_id).get("Restarts")
    try:
        return int(value or 0)
    except ValueError:
        return 0


def request_resume(wait_seconds: float = 300.0) -> int | None:
    """Resubmit this job after the job script exited for resume (exit code 3).

    Requeues the running Slurm job (``scontrol requeue``): Slurm stops it, queues the same
    job id again and starts it with a fresh time limit; same working directory, logs
    appended. Then waits to be stopped by Slurm (this process gets SIGTERM). Returns the
    exit code for the runner if it is still alive after ``wait_seconds`` (the job is
    requeued regardless of how this process ends), or ``None`` if the job cannot be
    requeued (not in a Slurm executor job, requeue disabled, scontrol missing): then the
    runner re-runs the script in place.
    """
    if not in_slurm_job():
        return None
    job_id = own_job_id()
    assert job_id is not None  # in_slurm_job() above needs it
    restart = restart_count() + 1
    # Slurm sends SIGTERM as soon as the requeue is accepted: catch it from now on
    with _stop_signal_caught() as stopped:
        try:
            proc = subprocess.run(
                ["scontrol", "requeue", job_id],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as e:
            print(f"cluster_utils: cannot requeue Slurm job {job_id}: {e}", file=sys.stderr)
            return None
        # Slurm signals every process of the job once it accepts the requeue, scontrol too:
        # under load, scontrol can die of that SIGTERM before it exits 0 (seen on CI; the
        # script then ran again in place until Slurm killed it). Stopped means accepted.
        stopping = stopped.is_set() or proc.returncode == -signal.SIGTERM
        if proc.returncode != 0 and not stopping:
            msg = (proc.stderr or proc.stdout).strip()
            print(f"cluster_utils: cannot requeue Slurm job {job_id}: {msg}", file=sys.stderr)
            return None
        print(
            f"cluster_utils: exit for resume -> Slurm job {job_id} requeued (restart {restart})",
            file=sys.stderr,
            flush=True,
        )
        # Wait to be stopped; returning on SIGTERM (instead of being killed after KillWait)
        # lets the runner record the job as pending before the allocation ends.
        stopped.wait(wait_seconds)
    return RETURN_CODE_FOR_RESUME


@contextlib.contextmanager
def _stop_signal_caught() -> Iterator[threading.Event]:
    """An event set by SIGTERM while inside (the previous handler is restored afterwards)."""
    stopped = threading.Event()
    installed, previous = False, None
    with contextlib.suppress(ValueError):  # not the main thread: the event is never set
        previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: stopped.set())
        installed = True
    try:
        yield stopped
    finally:
        if installed:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def job_end_time(job_id: str | None = None) -> float | None:
    """End time (epoch seconds) of a Slurm job per ``squeue``, None if unknown/unlimited."""
    job_id = job_id or own_job_id()
    if not job_id:
        return None
    try:
        out = subprocess.run(
            ["squeue", "-h", "-j", job_id, "-o", "%e"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
        return datetime.fromisoformat(out).timestamp()
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def arm_timeout_signal(
    pid: int, seconds_to_timeout: int, sig: int = signal.SIGUSR1
) -> threading.Timer | None:
    """Send ``sig`` to process ``pid`` ``seconds_to_timeout`` s before this job's time limit.

    This is cluster_requirements.signal_seconds_to_timeout (3.0: ``sbatch --signal=USR1@N``).
    Call it right after starting the job script; cancel the returned timer when the script
    ends. Returns None outside a Slurm job or when the job has no time limit. Unlike Slurm's
    own ``--signal`` (sent up to a minute early, at its next time-limit check) this fires at
    the requested second.
    """
    end = job_end_time()
    if end is None:
        return None
    return signal_before_end(pid, end, seconds_to_timeout, sig)
