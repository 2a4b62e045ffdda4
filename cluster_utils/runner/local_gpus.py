"""GPUs of local runs, the job's side: pick devices of its own among the machine's.

The local driver puts the devices to share out into :data:`LOCAL_GPUS_ENV_VAR` (see
:mod:`cluster_utils.execution.local_gpus`); without it (cluster jobs, where the scheduler assigns
GPUs, or runs without GPUs) nothing is pinned. A job asking for ``request_gpus: n`` takes n
devices whose lock files (``.cluster_utils/gpus/<device>.lock``) it can lock without waiting, and
holds the locks until it ends; its ``CUDA_VISIBLE_DEVICES`` names them. Snakemake (or the hpo
driver) starts a job only when enough devices are free, so a free set is normally there at once;
should it not be (a plain ``snakemake`` run without ``--resources gpu=N``), the job waits for one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from cluster_utils.experiment.layout import ExperimentLayout

#: set by the local driver for its runners: the device ids to share out ("0,1")
LOCAL_GPUS_ENV_VAR = "CLUSTER_UTILS_LOCAL_GPUS"
RETRY_SECONDS = 0.2


@dataclass
class GpuLease:
    """Devices held by this process until :meth:`release` (or until it exits)."""

    devices: tuple[str, ...]
    _handles: list[IO[str]] = field(default_factory=list, repr=False)

    def release(self) -> None:
        for handle in self._handles:
            handle.close()
        self._handles.clear()


def shared_devices(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The devices the local driver shares out among its jobs (empty: none, do not pin)."""
    value = (os.environ if environ is None else environ).get(LOCAL_GPUS_ENV_VAR, "")
    return tuple(device for device in (d.strip() for d in value.split(",")) if device)


def gpu_lock_dir(layout: ExperimentLayout) -> Path:
    return layout.gpu_locks_dir


def requested_gpus(layout: ExperimentLayout) -> int:
    """The run's ``cluster_requirements.request_gpus`` (settings.json; 0 when missing)."""
    try:
        with open(layout.settings_json) as f:
            settings = json.load(f)
    except (OSError, ValueError):
        return 0
    return int((settings.get("cluster_requirements") or {}).get("request_gpus") or 0)


def job_gpus(layout: ExperimentLayout, job_id: int) -> GpuLease | None:
    """Devices of its own for this job, or None when its GPUs are not pinned here."""
    devices = shared_devices()
    request = requested_gpus(layout) if devices else 0
    if request <= 0:
        return None
    if request > len(devices):
        raise ValueError(
            f"cluster_requirements.request_gpus is {request} but only {len(devices)} GPU(s) "
            f"({','.join(devices)}) are shared out"
        )
    return acquire_gpus(gpu_lock_dir(layout), devices, request, job_id)


def acquire_gpus(lock_dir: Path, devices: tuple[str, ...], request: int, job_id: int) -> GpuLease:
    """Lock ``request`` of ``devices`` (first free ones first); wait while too few are free."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    waiting = False
    while True:
        lease = try_acquire(lock_dir, devices, request)
        if lease is not None:
            return lease
        if not waiting:
            waiting = True
            print(
                f"cluster_utils: job {job_id} waits for {request} free GPU(s) of "
                f"{','.join(devices)}",
                file=sys.stderr,
                flush=True,
            )
        time.sleep(RETRY_SECONDS)


def try_acquire(lock_dir: Path, devices: tuple[str, ...], request: int) -> GpuLease | None:
    """Lock ``request`` free devices without waiting, or lock none and return None."""
    lease = GpuLease(())
    held: list[str] = []
    for device in devices:
        handle = open(lock_dir / f"{device}.lock", "a")  # noqa: SIM115 - held for the job
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        lease._handles.append(handle)
        held.append(device)
        if len(held) == request:
            lease.devices = tuple(held)
            return lease
    with contextlib.suppress(OSError):
        lease.release()
    return None
