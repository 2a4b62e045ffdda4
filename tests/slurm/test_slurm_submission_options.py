"""extra_submission_options reach sbatch as given on the localhost Slurm cluster (as in 3.0),
replacing what the submission would have set itself."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.slurm.slurm_helpers import GridRun, cli_command, sacct, write_grid

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

#: records what Slurm applied to the job it runs in (sacct does not store comments here)
SCRIPT = """
import json, os, re, subprocess
from cluster_utils import initialize_job, finalize_job

params = initialize_job()
task = f"{os.environ['SLURM_ARRAY_JOB_ID']}_{os.environ['SLURM_ARRAY_TASK_ID']}"
out = subprocess.run(["scontrol", "show", "job", "-o", task], capture_output=True, text=True)
fields = dict(re.findall(r"(?:^|\\s)([A-Za-z:]+)=(\\S*)", out.stdout))
with open(os.path.join(params.working_dir, "slurm_job.json"), "w") as f:
    json.dump({"task": task, **fields}, f)
finalize_job({"y": params.x}, params)
"""


def test_qos_and_comment_from_extra_submission_options_are_applied(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(SCRIPT)
    options = ["--qos=normal", "--comment=x", "--time=3"]
    config = write_grid(
        tmp_path,
        "extra_options",
        "job.py",
        [{"param": "x", "values": [1, 2]}],
        cluster_requirements={
            "request_cpus": 1,
            "memory_in_mb": 200,
            "request_time": "5",
            "extra_submission_options": options,
        },
    )
    env = {**os.environ, "CLUSTER_UTILS_LOG_LEVEL": "warning"}
    proc = subprocess.run(
        cli_command(config), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    run = GridRun(tmp_path / "results" / "extra_options", proc.returncode, proc.stderr)
    assert proc.returncode == 0, proc.stderr[-3000:] + run.snakemake_log[-3000:]
    data = pd.read_csv(run.experiment / "all_data.csv")
    assert sorted(data["y"]) == [1, 2]

    for working_dir in sorted((run.experiment / "working_directories").iterdir()):
        applied = json.loads((working_dir / "slurm_job.json").read_text())
        # the user's comment replaced the executor's ("rule_run_job"); the time limit is theirs
        assert (applied["Comment"], applied["QOS"]) == ("x", "normal"), applied
        assert applied["TimeLimit"] == "00:03:00", applied
        (record,) = sacct("-j", applied["task"], fields="JobID,QOS,Timelimit,State")
        assert (record["QOS"], record["Timelimit"], record["State"]) == (
            "normal",
            "00:03:00",
            "COMPLETED",
        )
    log = run.snakemake_log
    for theirs, ours in (("--time=3", "-t 5"), ("--comment=x", "--comment rule_run_job")):
        assert log.count(f"extra_submission_options {theirs!r} replaces {ours!r}") == 1, log
