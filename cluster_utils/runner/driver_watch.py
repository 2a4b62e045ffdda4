"""Local jobs stop when the driver that started them dies (even by kill -9).

The driver puts ``host:pid`` into the environment; a runner on the same host checks that the
process still exists and otherwise stops its job, so a killed run leaves no orphans behind.
On another host (a cluster node) the check does not apply.
"""

from __future__ import annotations

import os
import socket

DRIVER_ENV_VAR = "CLUSTER_UTILS_DRIVER"


def driver_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def watched_driver_pid(environ: dict[str, str] | None = None) -> int | None:
    value = (os.environ if environ is None else environ).get(DRIVER_ENV_VAR, "")
    host, _, pid = value.rpartition(":")
    if not pid.isdigit() or host != socket.gethostname():
        return None
    return int(pid)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
