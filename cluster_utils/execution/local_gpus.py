"""GPUs of local runs, the driver's side: which devices this machine shows, and what that means for
a run whose jobs ask for ``cluster_requirements.request_gpus``.

Devices are those in ``CUDA_VISIBLE_DEVICES`` when it is set, else those ``nvidia-smi -L`` lists;
``--gpus N`` replaces the detection. With devices, Snakemake gets ``--resources gpu=<count>``
(each job rule declares ``gpu=<request_gpus>``), so jobs wait for free devices in Snakemake's own
scheduler; the runners learn the devices from :data:`LOCAL_GPUS_ENV_VAR` and each pins its job to
devices of its own (:mod:`cluster_utils.runner.local_gpus`). Without devices jobs run unpinned,
as in 3.0, after one warning.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cluster_utils.config.errors import ConfigError
from cluster_utils.runner.local_gpus import LOCAL_GPUS_ENV_VAR

#: the Snakemake resource counting GPUs (the Slurm executor reads the same name)
GPU_RESOURCE = "gpu"
NVIDIA_SMI_SECONDS = 10.0
_NVIDIA_SMI_LINE = re.compile(r"^GPU (\d+):", re.MULTILINE)


@dataclass(frozen=True)
class LocalGpus:
    """The GPUs of a local run: ``devices`` to share out, ``request`` per job (0: none asked)."""

    devices: tuple[str, ...] = ()
    request: int = 0

    @property
    def pinned(self) -> bool:
        """Whether jobs get devices of their own."""
        return self.request > 0 and bool(self.devices)

    def snakemake_resources(self) -> dict[str, int]:
        """Snakemake's ``--resources`` for the run: how many devices jobs may hold at once."""
        return {GPU_RESOURCE: len(self.devices)} if self.pinned else {}

    def environment(self) -> dict[str, str]:
        """What the runners' environment needs to pin their jobs."""
        return {LOCAL_GPUS_ENV_VAR: ",".join(self.devices)} if self.pinned else {}

    def describe(self) -> str:
        return f"GPUs {','.join(self.devices)}: {self.request} of its own per job"

    def max_parallel_jobs(self) -> int | None:
        """How many jobs fit on the devices at once (None: no limit from GPUs)."""
        return len(self.devices) // self.request if self.pinned else None


def visible_gpus(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The device ids this machine shows: ``CUDA_VISIBLE_DEVICES`` if set, else nvidia-smi's."""
    environ = os.environ if environ is None else environ
    if "CUDA_VISIBLE_DEVICES" in environ:
        ids = [part.strip() for part in environ["CUDA_VISIBLE_DEVICES"].split(",")]
        # CUDA stops at the first invalid entry; "-1" or "" hide every device
        devices: list[str] = []
        for device in ids:
            if not device or device.startswith("-") or device == "NoDevFiles":
                break
            devices.append(device)
        return tuple(devices)
    return _nvidia_smi_gpus()


def _nvidia_smi_gpus() -> tuple[str, ...]:
    try:
        listing = subprocess.run(
            ["nvidia-smi", "-L"],
            capture_output=True,
            text=True,
            timeout=NVIDIA_SMI_SECONDS,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    if listing.returncode != 0:
        return ()
    return tuple(_NVIDIA_SMI_LINE.findall(listing.stdout))


def requested_gpus(settings: Mapping[str, Any]) -> int:
    """``cluster_requirements.request_gpus`` (0 when missing)."""
    value = (settings.get("cluster_requirements") or {}).get("request_gpus") or 0
    return int(value)


def local_gpus(
    settings: Mapping[str, Any],
    override: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> LocalGpus:
    """The GPUs of a local run of ``settings``; ``override``: ``--gpus N``.

    Raises ConfigError (one line) when a job asks for more devices than exist; warns once on
    stderr when jobs ask for GPUs and none is visible (they then run unpinned, as in 3.0)."""
    request = requested_gpus(settings)
    if request == 0:
        return LocalGpus()
    devices = visible_gpus(environ) if override is None else _override_devices(override, environ)
    if not devices:
        print(
            f"cluster_utils: warning: cluster_requirements.request_gpus is {request} but "
            f"{_no_gpu_reason(override, environ)}; jobs run without GPUs of their own, as in 3.0",
            file=sys.stderr,
            flush=True,
        )
        return LocalGpus(request=request)
    if request > len(devices):
        raise ConfigError(
            [
                f"cluster_requirements.request_gpus is {request} but this machine has "
                f"{len(devices)} GPU(s) ({','.join(devices)}); lower request_gpus or pass "
                "--gpus N"
            ]
        )
    return LocalGpus(devices, request)


def _override_devices(count: int, environ: Mapping[str, str] | None) -> tuple[str, ...]:
    """``--gpus N``: the first N visible devices when there are that many, else ids 0..N-1."""
    if count <= 0:
        return ()
    visible = visible_gpus(environ)
    if len(visible) >= count:
        return visible[:count]
    return tuple(str(i) for i in range(count))


def _no_gpu_reason(override: int | None, environ: Mapping[str, str] | None) -> str:
    if override is not None:
        return "--gpus 0 was given"
    if "CUDA_VISIBLE_DEVICES" in (os.environ if environ is None else environ):
        return "CUDA_VISIBLE_DEVICES names no GPU"
    return "no GPU is visible (CUDA_VISIBLE_DEVICES is not set and nvidia-smi lists none)"
