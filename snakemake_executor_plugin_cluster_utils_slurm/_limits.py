"""Cluster limits that decide how many array tasks one sbatch call and one run may hold."""

from __future__ import annotations

import getpass
import re
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor

#: Slurm's default MaxArraySize (task indices 0..1000)
DEFAULT_MAX_ARRAY_SIZE = 1001


def _run(argv: list[str], timeout: float = 10) -> str | None:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def max_array_size(config_text: str | None = None) -> int:
    """Slurm's MaxArraySize (``scontrol show config``): task indices must be below it, so an
    array with indices from 0 holds at most this many tasks."""
    text = config_text if config_text is not None else _run(["scontrol", "show", "config"])
    match = re.search(r"^\s*MaxArraySize\s*=\s*(\d+)", text or "", re.MULTILINE)
    return int(match.group(1)) if match else DEFAULT_MAX_ARRAY_SIZE


def parse_submit_limits(text: str) -> int | None:
    """Smallest positive number in ``sacctmgr -nP`` output of MaxSubmit-type fields."""
    values = [int(v) for v in re.findall(r"(?<![\w-])(\d+)(?![\w-])", text or "")]
    values = [v for v in values if v > 0]
    return min(values) if values else None


def user_submit_limit(user: str | None = None) -> int | None:
    """The per-user submit limit of the accounting database (association ``MaxSubmitJobs`` and
    the QOS' ``MaxSubmitJobsPerUser``), or None when there is none or it cannot be read."""
    try:
        user = user or getpass.getuser()
    except (KeyError, OSError):
        return None
    limits: list[int | None] = []
    assoc = _run(
        ["sacctmgr", "-nP", "show", "assoc", "where", f"user={user}", "format=MaxSubmit,DefaultQOS"]
    )
    qos_name = "normal"
    if assoc:
        for line in assoc.splitlines():
            max_submit, _, default_qos = line.partition("|")
            limits.append(parse_submit_limits(max_submit))
            qos_name = default_qos.strip() or qos_name
    qos = _run(
        ["sacctmgr", "-nP", "show", "qos", "where", f"name={qos_name}", "format=MaxSubmitPU"]
    )
    if qos:
        limits.append(parse_submit_limits(qos))
    found = [v for v in limits if v]
    return min(found) if found else None


def user_submit_limit_in_background() -> Future[int | None]:
    """:func:`user_submit_limit`, read in a thread while the caller goes on."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cluster-utils-sacctmgr")
    try:
        return pool.submit(user_submit_limit)
    finally:
        pool.shutdown(wait=False)
