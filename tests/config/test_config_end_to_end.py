"""Config compatibility through the real commands: unknown keys, strict_config, bad names,
``__import_promise__`` in a grid, and the warnings of a plain ``snakemake`` run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO_ROOT, Experiment

#: Records its parameters in seen/<id>.json next to itself.
RECORDING_SCRIPT = """\
import json, os
from cluster_utils import finalize_job, initialize_job

params = initialize_job()
seen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seen")
os.makedirs(seen, exist_ok=True)
with open(os.path.join(seen, f"{params.id}.json"), "w") as f:
    json.dump(params, f)
finalize_job({"y": params.x * 2}, params)
"""

USERS_KEYS = {
    "metric_regex": "loss: (.*)",
    "config_bindings": {"lr": "x"},
    "environment_setup": {"use_conda": True},
}


@pytest.mark.slow
def test_unknown_keys_warn_and_the_grid_runs(experiment: Experiment) -> None:
    experiment.write_script(RECORDING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1, 2]}], **USERS_KEYS)

    result = experiment.run()

    assert result.returncode == 0, result.stderr
    assert sorted(experiment.all_data()["y"]) == [2, 4]
    assert "unknown key 'metric_regex'" in result.stderr
    assert "unknown key 'environment_setup.use_conda'" in result.stderr
    assert "error" not in result.stderr.lower()


def test_strict_config_refuses_unknown_keys(experiment: Experiment) -> None:
    experiment.write_script(RECORDING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1, 2]}], strict_config=True, **USERS_KEYS)

    result = experiment.run()

    assert result.returncode == 2, result.stderr
    assert "error: unknown key 'metric_regex'" in result.stderr
    assert "error: unknown key 'config_bindings'" in result.stderr
    assert not (experiment.workdir / "seen").exists()


def test_the_strict_option_refuses_unknown_keys(experiment: Experiment) -> None:
    experiment.write_script(RECORDING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1, 2]}], **USERS_KEYS)

    result = experiment.run("--strict")

    assert result.returncode == 2, result.stderr
    assert "error: unknown key 'environment_setup.use_conda'" in result.stderr
    assert not (experiment.workdir / "seen").exists()


def test_a_reserved_hyperparameter_name_is_a_config_error(experiment: Experiment) -> None:
    experiment.write_script(RECORDING_SCRIPT)
    experiment.write_config(
        [{"param": "x", "values": [1]}, {"param": "working_dir", "values": ["a", "b"]}]
    )

    result = experiment.run()

    assert result.returncode == 2, result.stderr
    assert (
        "error: hyperparam_list[1].param: 'working_dir' is a reserved name (cluster_utils sets "
        "it for every job" in result.stderr
    )
    assert not (experiment.workdir / "seen").exists()


@pytest.mark.slow
def test_grid_jobs_receive_the_promised_params(experiment: Experiment) -> None:
    experiment.write_script(RECORDING_SCRIPT)
    (experiment.workdir / "defaults.json").write_text(
        json.dumps({"x": 100, "lr": 0.5, "model": {"depth": 3, "width": 8}, "id": -1})
    )
    experiment.write_config(
        [{"param": "x", "values": [1, 2]}, {"param": "model.width", "values": [16]}],
        fixed_params={"__import_promise__": "defaults.json", "model.act": "relu"},
    )

    result = experiment.run()

    assert result.returncode == 0, result.stderr
    for path in sorted((experiment.workdir / "seen").glob("*.json")):
        params = json.loads(path.read_text())
        assert params == {
            "id": int(path.stem),  # the job's own values win over the imported ones
            "x": params["x"],
            "lr": 0.5,
            "model": {"depth": 3, "width": 16, "act": "relu"},
            "working_dir": str(experiment.results / "working_directories" / path.stem),
        }
    assert sorted(experiment.all_data()["y"]) == [2, 4]


@pytest.mark.slow
def test_plain_snakemake_prints_each_warning_once(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("Snakefile", "workflow", "profiles"):
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, checkout / name)
        else:
            shutil.copy2(source, checkout / name)
    (checkout / "job.py").write_text(RECORDING_SCRIPT)
    config = {
        "optimization_procedure_name": "plain",
        "results_dir": "results",
        "script_relative_path": "job.py",
        "run_in_working_dir": True,
        "environment_setup": {"use_conda": True},
        "hyperparam_list": [{"param": "x", "values": [1, 2, 3]}],
        "metric_regex": "loss: (.*)",
    }
    (checkout / "grid.yaml").write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "snakemake", "--profile", "profiles/local"]
    result = subprocess.run(
        [*command, "--configfile", "grid.yaml", "--cores", "2"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(list((checkout / "seen").glob("*.json"))) == 3
    assert result.stderr.count("warning: unknown key 'metric_regex'") == 1
    assert result.stderr.count("warning: unknown key 'environment_setup.use_conda'") == 1
