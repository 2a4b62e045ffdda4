"""The localhost Slurm cluster for tests marked ``slurm``.

``slurm_cluster`` (session scope) runs ``scripts/slurm-localhost.sh start``, which installs and
starts a single-node Slurm with accounting when it is not up yet, and returns in about a second
when it is. Tests that need it use ``pytestmark = [pytest.mark.slurm,
pytest.mark.usefixtures("slurm_cluster")]``; the unit tests in this folder do not start anything.

The cluster is only skipped where the script cannot run at all (not root, or neither apt-get
nor an installed Slurm); on CI (root on Debian 12) a failing start fails the tests.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import time

import pytest

from tests.helpers import REPO_ROOT
from tests.machine_lock import start_localhost_cluster

START_SCRIPT = REPO_ROOT / "scripts" / "slurm-localhost.sh"


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    if os.geteuid() != 0:
        pytest.skip("the localhost Slurm cluster needs root (scripts/slurm-localhost.sh start)")
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        pytest.skip("neither apt-get nor Slurm available to start a localhost cluster")
    start_localhost_cluster(START_SCRIPT, "start", timeout=900)
    # This localhost cluster exists for the tests: jobs left over from an earlier, interrupted
    # test session would hold the node and make this session's jobs wait.
    subprocess.run(["scancel", "--user", "root"], capture_output=True, timeout=60, check=False)
    # and so would a submit limit that an interrupted test_slurm_submit_limit left set
    for limit in (
        ["user", getpass.getuser(), "set", "MaxSubmitJobs=-1"],
        ["qos", "normal", "set", "MaxSubmitJobsPerUser=-1"],
    ):
        subprocess.run(
            ["sacctmgr", "-i", "modify", *limit], capture_output=True, timeout=60, check=False
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        queue = subprocess.run(["squeue", "-h"], capture_output=True, text=True, check=False)
        if not queue.stdout.strip():
            break
        time.sleep(1)
