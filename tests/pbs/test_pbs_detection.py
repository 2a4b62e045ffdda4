"""PBS is detected by probing ``qstat --version`` (not by the name ``qsub``): inside the cluster's
namespace the 3.0 entry points find it by themselves, also with Slurm's commands on PATH whose
controller does not answer there; Slurm's Torque wrappers (Debian's slurm-wlm-torque) are no PBS.
An hp_optimization runs its batches on PBS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import write_config
from tests.machine_lock import machine_lock
from tests.pbs.pbs_helpers import in_cluster, run_in_cluster

pytestmark = [pytest.mark.pbs, pytest.mark.slow, pytest.mark.usefixtures("pbs_cluster")]

DETECT = "from cluster_utils.execution.profiles import detect_cluster; print(detect_cluster())"

HPO_SCRIPT = """
import os
from cluster_utils import initialize_job, finalize_job

params = initialize_job()
finalize_job({"loss": (params.x - 0.3) ** 2, "pbs_job": os.environ["PBS_JOBID"]}, params)
"""


@pytest.fixture(scope="module")
def slurm_torque_wrappers() -> Path:
    """Debian's slurm-wlm-torque: Slurm's qsub/qstat look-alikes in /usr/bin."""
    wrapper = Path("/usr/bin/qstat")
    if not wrapper.exists():
        if shutil.which("apt-get") is None:
            pytest.skip("slurm-wlm-torque is not installed and apt-get is missing")
        with machine_lock():  # no cluster start's apt-get at the same time
            proc = subprocess.run(
                ["apt-get", "install", "-y", "-qq", "slurm-wlm-torque"],
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        assert proc.returncode == 0, proc.stderr[-2000:]
    return wrapper


def _detect(env: dict[str, str] | None = None, *, inside: bool = False) -> str:
    argv = [sys.executable, "-c", DETECT]
    proc = subprocess.run(
        in_cluster(argv) if inside else argv,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=env,
    )
    return proc.stdout.strip()


def test_slurm_torque_wrappers_are_not_detected_as_pbs(
    slurm_torque_wrappers: Path, tmp_path: Path
) -> None:
    only_wrappers = tmp_path / "bin"
    only_wrappers.mkdir()
    for name in ("qsub", "qstat", "qdel", "perl"):
        found = shutil.which(name, path="/usr/bin")
        assert found, name
        (only_wrappers / name).symlink_to(found)
    assert _detect({"PATH": str(only_wrappers)}) == "None"
    # this machine's own PATH: Slurm (sbatch) and its Torque wrappers, no PBS client
    assert _detect() != "pbs"
    # in the cluster's namespace PBS' qstat comes first; Slurm's sbatch is there too but its
    # controller does not answer from inside (with this machine's Slurm config, which
    # `pbs-localhost.sh run` replaces by an empty one unless SLURM_CONF is set)
    assert _detect({**os.environ, "SLURM_CONF": "/etc/slurm/slurm.conf"}, inside=True) == "pbs"
    assert _detect(inside=True) == "pbs"


def test_hp_optimization_on_pbs_through_the_3_0_entry_point(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(HPO_SCRIPT)
    config = write_config(
        tmp_path / "hpo.json",
        "pbs_hpo",
        hpo=True,
        optimization_setting={
            "number_of_samples": 4,
            "n_jobs_per_iteration": 2,
            "run_local": False,
        },
        cluster_requirements={"request_cpus": 1, "memory_in_mb": 200, "request_time": "5"},
    )
    output = run_in_cluster(
        [sys.executable, "-m", "cluster_utils.hp_optimization", str(config)], tmp_path
    )
    assert "pbs detected" in output, output[-2000:]
    results = tmp_path / "results" / "pbs_hpo"
    data = pd.read_csv(results / "all_data.csv")
    assert len(data) == 4 and data["pbs_job"].str.endswith(".pbshost").all()
    states = [json.loads(p.read_text()) for p in results.glob("jobs/*/state.json")]
    assert len(states) == 4 and {s["status"] for s in states} == {"succeeded"}
