"""One change to this machine at a time: starting a localhost cluster (which may install Debian
packages, build a root file system or OpenPBS) or installing a package from a test.

The cluster tests of each cluster run in their own pytest-xdist worker, all at the same time, and
so may their session fixtures; apt-get and dpkg refuse to run while another one holds their lock.
:func:`machine_lock` is a file lock in the temporary directory, shared by every worker and test
session on the machine; :func:`start_localhost_cluster` runs a cluster's start script under it.
"""

from __future__ import annotations

import fcntl
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

LOCK_FILE = Path(tempfile.gettempdir()) / "cluster-utils-tests-machine.lock"


@contextmanager
def machine_lock() -> Iterator[None]:
    """Hold the machine lock (waiting for it as long as another holder needs)."""
    with open(LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def start_localhost_cluster(script: Path, command: str, timeout: float) -> None:
    """Run a localhost cluster's start script (``bash SCRIPT COMMAND``) under the machine lock;
    the tests fail with the script's output when it fails."""
    with machine_lock():
        proc = subprocess.run(
            ["bash", str(script), command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if proc.returncode != 0:
        pytest.fail(
            f"scripts/{script.name} {command} failed ({proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}",
            pytrace=False,
        )
