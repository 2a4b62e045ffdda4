"""A PBS run where Slurm's clients are installed but no Slurm controller answers (here: inside
the localhost cluster's network namespace, with this machine's Slurm config): Snakemake's Slurm
plugin would wait ~9 s for the controller at every Snakemake start, so Snakemake runs with an
empty Slurm config (backends.slurm_clients), and the jobs still get the user's environment."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cluster_utils.backends.slurm_clients import CALLER_SLURM_CONF, QUIET_NOTICE
from tests.helpers import write_config
from tests.pbs.pbs_helpers import run_in_cluster

pytestmark = [pytest.mark.pbs, pytest.mark.slow, pytest.mark.usefixtures("pbs_cluster")]

#: this machine's Slurm config (scripts/slurm-localhost.sh); its controller is not reachable from
#: the namespace
MACHINE_SLURM_CONF = "/etc/slurm/slurm.conf"

JOB_SCRIPT = """
import json, os
from cluster_utils import initialize_job, finalize_job

params = initialize_job()
seen = {{name: os.environ.get(name) for name in ("SLURM_CONF", "{marker}", "PBS_JOBID")}}
with open("{record}", "a") as record:
    record.write(json.dumps(seen) + "\\n")
finalize_job({{"loss": (params.x - 0.3) ** 2}}, params)
"""


def _job_script(tmp_path: Path) -> Path:
    record = tmp_path / "environments.jsonl"
    (tmp_path / "job.py").write_text(JOB_SCRIPT.format(marker=CALLER_SLURM_CONF, record=record))
    return record


def _run(tmp_path: Path, environment: list[str], argv: list[str]) -> str:
    return run_in_cluster(["env", *environment, sys.executable, *argv], tmp_path)


def test_grid_through_the_3_0_entry_point_with_slurm_conf_unset(tmp_path: Path) -> None:
    record = _job_script(tmp_path)
    config = write_config(
        tmp_path / "grid.json",
        "pbs_quiet_slurm",
        hyperparam_list=[{"param": "x", "values": [0.1, 0.2]}],
        cluster_requirements={"request_cpus": 1, "memory_in_mb": 200, "request_time": "5"},
    )
    output = _run(tmp_path, ["-u", "SLURM_CONF"], ["-m", "cluster_utils.grid_search", str(config)])
    assert "pbs detected" in output, output[-2000:]
    assert output.count(QUIET_NOTICE) == 1, output[-3000:]
    seen = [json.loads(line) for line in record.read_text().splitlines()]
    # the jobs ran under PBS with the user's environment: no SLURM_CONF, no marker
    assert len(seen) == 2 and all(s["PBS_JOBID"] for s in seen)
    assert all(s["SLURM_CONF"] is None and s[CALLER_SLURM_CONF] is None for s in seen), seen


def test_hp_optimization_with_profile_pbs_and_the_users_slurm_conf(tmp_path: Path) -> None:
    record = _job_script(tmp_path)
    config = write_config(
        tmp_path / "hpo.yaml",
        "pbs_quiet_slurm_hpo",
        hpo=True,
        optimization_setting={"number_of_samples": 4, "n_jobs_per_iteration": 2},
        cluster_requirements={"request_cpus": 1, "memory_in_mb": 200, "request_time": "5"},
    )
    output = _run(
        tmp_path,
        [f"SLURM_CONF={MACHINE_SLURM_CONF}"],
        ["-m", "cluster_utils.cli.main", "optimize", str(config), "--profile", "pbs"],
    )
    # once for the run, though each batch is a Snakemake start of its own
    assert output.count(QUIET_NOTICE) == 1, output[-3000:]
    seen = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(seen) == 4 and all(s["PBS_JOBID"] for s in seen)
    assert all(s["SLURM_CONF"] == MACHINE_SLURM_CONF for s in seen), seen
    assert all(s[CALLER_SLURM_CONF] is None for s in seen), seen
