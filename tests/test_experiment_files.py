"""Each file of an experiment directory has one documented format (docs/results_layout.md),
whichever procedure wrote it: a grid search and an optimization run in this same process, and
every file they leave is checked against that description."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
from pathlib import Path

import pandas as pd
import pytest

from cluster_utils.cli.main import main
from cluster_utils.results.failures import FAILURE_COLUMNS
from tests.helpers import write_config

pytestmark = pytest.mark.slow

JOB = """
import sys
from cluster_utils import cluster_main

@cluster_main
def main(working_dir, id, x, **kwargs):
    if x > 0.9:
        sys.exit("x too large")
    return {"loss": (x - 0.3) ** 2, "extra": x}

if __name__ == "__main__":
    main()
"""
STATE_KEYS = {"id", "status", "reason", "return_code", "stderr_tail", "resumes", "attempts"}
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - cluster_utils - [A-Z]+ - .+$")


@pytest.fixture(scope="module")
def experiments(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    workdir = tmp_path_factory.mktemp("files")
    (workdir / "job.py").write_text(JOB)
    grid = write_config(
        workdir / "grid.yaml",
        "grid",
        hyperparam_list=[{"param": "x", "values": [0.1, 0.5, 1.0]}],
        fixed_params={"y": {"z": 1}},
    )
    hpo = write_config(workdir / "hpo.yaml", "hpo", hpo=True)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    cwd = Path.cwd()
    os.chdir(workdir)
    try:
        assert main(["grid-search", str(grid), "--profile", "local"]) == 0
        assert main(["optimize", str(hpo), "--profile", "local"]) == 0
    finally:
        os.chdir(cwd)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    return {"grid": workdir / "results" / "grid", "hpo": workdir / "results" / "hpo"}


def _header(path: Path) -> list[str]:
    with open(path, newline="") as f:
        return next(csv.reader(f))


@pytest.mark.parametrize("kind", ["grid", "hpo"])
def test_all_data_csv(experiments: dict[str, Path], kind: str) -> None:
    header = _header(experiments[kind] / "all_data.csv")
    assert header[0] == ""  # 3.0's index column: read with index_col=0
    data = pd.read_csv(experiments[kind] / "all_data.csv", index_col=0)
    assert {"x", "_id", "loss", "extra", "time_elapsed", "working_dir", "id"} <= set(data.columns)
    if kind == "grid":
        assert list(data.columns[:5]) == ["x", "y.z", "working_dir", "id", "_id"]
        assert sorted(data["x"]) == [0.1, 0.5]  # the failed job has no row
    else:
        assert "_iteration" in data.columns
        assert list(data.columns) == sorted(data.columns)  # 3.0 sorted them


def test_reduced_data_csv_of_the_optimization(experiments: dict[str, Path]) -> None:
    assert _header(experiments["hpo"] / "reduced_data.csv") == [
        "",
        "x",
        "loss",
        "job_restarts",
        "loss__std",
    ]
    assert not (experiments["grid"] / "reduced_data.csv").exists()


@pytest.mark.parametrize("kind", ["grid", "hpo"])
def test_jobs_and_failures_csv(experiments: dict[str, Path], kind: str) -> None:
    jobs = _header(experiments[kind] / "jobs.csv")
    expected = ["_id", "status", "reason", "resumes"] + (["_iteration"] if kind == "hpo" else [])
    assert jobs[: len(expected)] == expected
    assert "job_hash" not in jobs
    assert _header(experiments[kind] / "failures.csv") == FAILURE_COLUMNS
    if kind == "grid":
        failures = pd.read_csv(experiments[kind] / "failures.csv")
        assert list(failures["_id"]) == [2] and "x too large" in failures["stderr_tail"][0]


@pytest.mark.parametrize("kind", ["grid", "hpo"])
def test_metadata_settings_and_log(experiments: dict[str, Path], kind: str) -> None:
    root = experiments[kind]
    metadata = json.loads((root / "metadata.json").read_text())
    assert metadata["run_type"] == {"grid": "GRID_SEARCH", "hpo": "HP_OPTIMIZATION"}[kind]
    assert {"start_time", "git_commit", "cluster_utils_version", "n_jobs"} <= set(metadata)
    settings = json.loads((root / "settings.json").read_text())
    assert settings["optimization_procedure_name"] == kind
    lines = (root / "cluster_run.log").read_text().splitlines()
    assert lines and all(LOG_LINE.match(line) for line in lines)
    assert any("finished successfully." in line for line in lines)


@pytest.mark.parametrize("kind", ["grid", "hpo"])
def test_job_files(experiments: dict[str, Path], kind: str) -> None:
    root = experiments[kind]
    registry = json.loads((root / ".cluster_utils" / "job_ids.json").read_text())
    job_dirs = sorted(int(p.name) for p in (root / "jobs").iterdir() if p.name.isdigit())
    assert sorted(registry.values()) == job_dirs
    for job_id in job_dirs:
        params = json.loads((root / "jobs" / str(job_id) / "params.json").read_text())
        assert params["id"] == job_id
        assert params["working_dir"] == str(root / "working_directories" / str(job_id))
        state = json.loads((root / "jobs" / str(job_id) / "state.json").read_text())
        assert set(state) >= STATE_KEYS and state["id"] == job_id
        has_hash = (root / "jobs" / str(job_id) / "job_hash").is_file()
        assert has_hash == (kind == "grid")
    plan = root / ".cluster_utils" / "plan.json"
    if kind == "grid":
        assert json.loads(plan.read_text())["job_ids"] == job_dirs
    else:
        assert not plan.exists()
        assert (root / ".cluster_utils" / "hpo_driver_state.json").is_file()
