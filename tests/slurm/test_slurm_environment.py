"""environment_setup.variables reach the job script on Slurm as they did in 3.0 (exported before
the script's interpreter started): a module only the job's PYTHONPATH holds can be imported."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.slurm.slurm_helpers import GridRun, cli_command, write_grid

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

SCRIPT = """
import os
from cluster_utils import initialize_job, finalize_job

params = initialize_job()
import only_for_this_job  # found only through environment_setup.variables.PYTHONPATH

finalize_job({"y": only_for_this_job.VALUE * params.x, "task": os.environ["SLURM_ARRAY_TASK_ID"]},
             params)
"""


def test_job_imports_a_module_from_its_pythonpath_variable(tmp_path: Path) -> None:
    modules = tmp_path / "job_modules"
    modules.mkdir()
    (modules / "only_for_this_job.py").write_text("VALUE = 21\n")
    (tmp_path / "job.py").write_text(SCRIPT)
    config = write_grid(
        tmp_path,
        "pythonpath",
        "job.py",
        [{"param": "x", "values": [1, 2]}],
        environment_setup={"variables": {"PYTHONPATH": str(modules)}},
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["CLUSTER_UTILS_LOG_LEVEL"] = "warning"
    probe = subprocess.run(
        ["python3", "-c", "import only_for_this_job"], cwd=tmp_path, env=env, capture_output=True
    )
    assert probe.returncode != 0  # nobody else can import it
    proc = subprocess.run(
        cli_command(config), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    run = GridRun(tmp_path / "results" / "pythonpath", proc.returncode, proc.stderr)
    stderr_logs = "".join(
        p.read_text(errors="replace") for p in (run.experiment / "jobs").glob("*/stderr.log")
    )
    assert proc.returncode == 0, proc.stderr[-3000:] + stderr_logs[-3000:]
    data = pd.read_csv(run.experiment / "all_data.csv")
    assert sorted(data["y"]) == [21, 42]
    assert "ModuleNotFoundError" not in stderr_logs
