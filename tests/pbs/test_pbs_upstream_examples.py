"""3.0's basic example, unchanged, through 3.0's entry point on PBS: detected, not configured.

``python -m cluster_utils.grid_search examples/basic/grid_search.json`` in a copy of 3.0's tree
(a git project with an origin, as the config's git_params expect), with only the command-line
overrides 3.0's own scripts use (results_dir, no_user_interaction) plus ``samples`` to keep the
test short. The config carries a hostname_list of twelve hosts that PBS cannot express (a
warning), its pre_job_script.sh has no shebang, and about 15 % of main.py's jobs fail on purpose.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from cluster_utils.experiment.layout import ExperimentLayout
from tests.pbs.pbs_helpers import run_in_cluster
from tests.upstream_3_0.test_upstream30_examples import PRE_JOB_SCRIPT_OUTPUT, make_git_project
from tests.upstream_3_0.upstream30 import YES_TWICE, checkout, read_table

pytestmark = [pytest.mark.pbs, pytest.mark.slow, pytest.mark.usefixtures("pbs_cluster")]

SAMPLES = 4  # each job sleeps up to 10 s, and its 16000 MB let one run at a time here


def test_3_0_basic_example_runs_unchanged_on_detected_pbs(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    make_git_project(root, tmp_path / "origin.git")
    results = tmp_path / "results"
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    output = run_in_cluster(
        [
            "python",
            "-m",
            "cluster_utils.grid_search",
            "examples/basic/grid_search.json",
            f"results_dir={str(results)!r}",
            "no_user_interaction=True",
            f"samples={SAMPLES}",
        ],
        root,
        env=env,
        input=YES_TWICE,
        timeout=300,
    )
    assert "pbs detected, submitting jobs to it" in output, output[-4000:]
    assert output.count("warning: cluster_requirements.hostname_list") == 1, output[-4000:]

    layout = ExperimentLayout.at(results / "gs_test")
    job_ids = sorted(int(p.name) for p in (layout.root / "jobs").iterdir() if p.name.isdigit())
    assert job_ids == list(range(SAMPLES))
    data = read_table(layout.all_data_csv)
    assert data["_id"].is_unique
    for job_id in job_ids:
        state = json.loads((layout.root / "jobs" / str(job_id) / "state.json").read_text())
        assert state["scheduler_job_id"], f"job {job_id} did not run as a PBS job: {state}"
        if state["status"] == "succeeded":
            (row,) = data[data["_id"] == job_id].to_dict("records")
            assert row["result"] == row["result"], f"job {job_id}: no result in {row}"
            stdout = layout.stdout_file(job_id).read_text()
            assert PRE_JOB_SCRIPT_OUTPUT in stdout, f"job {job_id}: {stdout[-2000:]}"
        else:  # one of main.py's failures on purpose, reported with its reason
            assert job_id not in set(data["_id"]), f"failed job {job_id} has a row"
            assert state["reason"] == "exited with code 1", state
            assert f"job {job_id} failed: exited with code 1" in output
