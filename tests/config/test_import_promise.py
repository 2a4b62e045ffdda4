"""``fixed_params.__import_promise__``: every job receives the values of the promised file.

3.0 renamed it to ``fixed_params.__import__`` when loading the config, sent it to every job with
the job's other parameters, and the job's settings loader merged the file under them (relative to
the job's working directory, the code checkout; the job's own values win). For 3.0's rosenbrock
example a job received exactly ``{id, iterations, optimizer, optimizer_params: {lr}, working_dir}``
(measured with cluster_utils 3.0.0: ``iterations`` from params.json, params.json's
``working_dir: "result"`` replaced by the job's working directory).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cluster_utils.experiment.settings import load_experiment_settings, prepare_settings

UPSTREAM = Path(__file__).parent / "data" / "upstream"

#: Stands in for 3.0's examples/rosenbrock/main.py (which needs torch and sleeps a minute):
#: records the parameters it received.
RECORDING_MAIN = """\
import json, os
from cluster_utils import finalize_job, initialize_job

params = initialize_job()
seen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seen")
os.makedirs(seen, exist_ok=True)
with open(os.path.join(seen, f"{params.id}.json"), "w") as f:
    json.dump(params, f)
finalize_job({"final_value": params.optimizer_params.lr * params.iterations}, params)
"""


def _rosenbrock_checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    shutil.copytree(UPSTREAM / "examples" / "rosenbrock", checkout / "examples" / "rosenbrock")
    (checkout / "examples" / "rosenbrock" / "main.py").write_text(RECORDING_MAIN)
    return checkout


def test_the_promise_becomes_an_import_of_fixed_params(tmp_path: Path, monkeypatch) -> None:
    checkout = _rosenbrock_checkout(tmp_path)
    monkeypatch.chdir(checkout)
    loaded = load_experiment_settings(
        "examples/rosenbrock/optimization.json",
        [f"results_dir={str(tmp_path / 'results')!r}"],
        "hp_optimization",
    )
    # not read by the driver: the path travels to the jobs
    assert loaded.settings["fixed_params"] == {"__import__": "examples/rosenbrock/params.json"}
    assert loaded.warnings == ()

    raw = {**loaded.settings, "fixed_params": {"__import_promise__": ["a.json", "b.json"]}}
    assert prepare_settings(raw, "hp_optimization").settings["fixed_params"] == {
        "__import__": ["a.json", "b.json"]
    }
    assert raw["fixed_params"] == {"__import_promise__": ["a.json", "b.json"]}


@pytest.mark.slow
def test_rosenbrock_jobs_receive_the_promised_params(tmp_path: Path) -> None:
    """3.0's rosenbrock example, unchanged apart from local overrides, through ``optimize``."""
    checkout = _rosenbrock_checkout(tmp_path)
    results = tmp_path / "results"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cluster_utils.cli.main",
            "optimize",
            "examples/rosenbrock/optimization.json",
            f"results_dir={str(results)!r}",
            "run_in_working_dir=True",
            "optimization_setting.number_of_samples=3",
            "optimization_setting.n_jobs_per_iteration=3",
            "--profile",
            "local",
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    seen = sorted((checkout / "examples" / "rosenbrock" / "seen").glob("*.json"))
    assert len(seen) == 3
    for path in seen:
        params = json.loads(path.read_text())
        job_id = int(path.stem)
        expected_keys = ["id", "iterations", "optimizer", "optimizer_params", "working_dir"]
        assert sorted(params) == expected_keys
        assert params["id"] == job_id
        assert params["iterations"] == 20  # from params.json
        assert params["optimizer"] in ("Adam", "SGD", "Adagrad", "RMSprop")
        assert list(params["optimizer_params"]) == ["lr"]
        assert 1e-5 <= params["optimizer_params"]["lr"] <= 1.0  # sampled, not params.json's
        assert Path(params["working_dir"]).name == str(job_id)  # not params.json's "result"
        assert Path(params["working_dir"]).parent.name == "working_directories"

    data = pd.read_csv(results / "rosenbrock_opt" / "all_data.csv")
    assert len(data) == 3
    assert (data["final_value"] == data["optimizer_params.lr"] * 20).all()


def _flat_rosenbrock(tmp_path: Path, promised_name: str) -> Path:
    """3.0's rosenbrock config and params file side by side, the config promising the file by
    its bare name: the user runs the command from that directory (issue 19)."""
    directory = tmp_path / "rosenbrock"
    directory.mkdir()
    source = UPSTREAM / "examples" / "rosenbrock"
    shutil.copy(source / "params.json", directory / promised_name)
    (directory / "main.py").write_text(RECORDING_MAIN)
    config = json.loads((source / "optimization.json").read_text())
    config["script_relative_path"] = "main.py"
    config["fixed_params"] = {"__import_promise__": promised_name}
    (directory / "optimization.json").write_text(json.dumps(config, indent=2))
    return directory


def _run_cli(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", *args, "--profile", "local"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def _check_seen(directory: Path, n_jobs: int) -> None:
    seen = sorted((directory / "seen").glob("*.json"))
    assert len(seen) == n_jobs
    for path in seen:
        params = json.loads(path.read_text())
        assert params["iterations"] == 20  # from the promised file
        assert Path(params["working_dir"]).name == path.stem  # not the file's "result"


@pytest.mark.slow
def test_a_promised_params_json_next_to_the_config_reaches_every_job(tmp_path: Path) -> None:
    """The job's own parameter file is also called params.json: the promise must not resolve to
    it (every job failed with an import cycle before)."""
    directory = _flat_rosenbrock(tmp_path, "params.json")
    result = _run_cli(
        directory,
        "optimize",
        "optimization.json",
        f"results_dir={str(tmp_path / 'results')!r}",
        "run_in_working_dir=True",
        "optimization_setting.number_of_samples=3",
        "optimization_setting.n_jobs_per_iteration=3",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    _check_seen(directory, 3)
    data = pd.read_csv(tmp_path / "results" / "rosenbrock_opt" / "all_data.csv")
    assert len(data) == 3
    assert (data["final_value"] == data["optimizer_params.lr"] * 20).all()


@pytest.mark.slow
@pytest.mark.parametrize("promised_name", ["state.json", "base_params.json"])
def test_a_promised_file_of_any_name_reaches_every_grid_job(
    tmp_path: Path, promised_name: str
) -> None:
    """Any name, also one of the other files next to a job's parameters (state.json), means the
    user's file in the directory the command ran in."""
    directory = _flat_rosenbrock(tmp_path, promised_name)
    config = json.loads((directory / "optimization.json").read_text())
    grid = {
        key: config[key] for key in ("script_relative_path", "fixed_params", "environment_setup")
    }
    grid["optimization_procedure_name"] = "rosenbrock_grid"
    grid["results_dir"] = str(tmp_path / "results")
    grid["run_in_working_dir"] = True
    grid["hyperparam_list"] = [
        {"param": "optimizer_params.lr", "values": [0.1, 0.2]},
        {"param": "optimizer", "values": ["SGD"]},
    ]
    (directory / "grid.json").write_text(json.dumps(grid, indent=2))
    result = _run_cli(directory, "grid-search", "grid.json")
    assert result.returncode == 0, result.stderr[-3000:]
    _check_seen(directory, 2)
    data = pd.read_csv(tmp_path / "results" / "rosenbrock_grid" / "all_data.csv")
    assert sorted(data["final_value"]) == pytest.approx([2.0, 4.0])
