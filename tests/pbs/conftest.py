"""The localhost OpenPBS cluster for tests marked ``pbs``.

``pbs_cluster`` (session scope) runs ``scripts/pbs-localhost.sh start``, which builds OpenPBS
(once) and starts it in its network namespace when it is not up yet, and returns in well under a
second when it is. Every PBS client command of the tests, and every driver they start, runs inside
that namespace (``tests/pbs/pbs_helpers.in_cluster``). Tests that need it use ``pytestmark =
[pytest.mark.pbs, pytest.mark.usefixtures("pbs_cluster")]``; the unit tests in this folder do not
start anything.

The cluster is only skipped where the script cannot run at all (not root, or neither apt-get nor
an installed OpenPBS); on CI (root on Debian 12) a failing start fails the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.machine_lock import start_localhost_cluster
from tests.pbs.pbs_helpers import SCRIPT, in_cluster


@pytest.fixture(scope="session")
def pbs_cluster() -> None:
    if os.geteuid() != 0:
        pytest.skip("the localhost PBS cluster needs root (scripts/pbs-localhost.sh start)")
    if shutil.which("apt-get") is None and not Path("/opt/pbs/bin/qsub").exists():
        pytest.skip("neither apt-get nor OpenPBS available to start a localhost cluster")
    start_localhost_cluster(SCRIPT, "start", timeout=1200)
    # This localhost cluster exists for the tests: jobs left over from an interrupted session
    # would hold the node's two CPUs and make this session's jobs wait.
    left = subprocess.run(
        in_cluster(["qselect", "-s", "QRHW"]), capture_output=True, text=True, check=False
    ).stdout.split()
    if left:
        subprocess.run(in_cluster(["qdel", "-W", "force", *left]), capture_output=True, check=False)
