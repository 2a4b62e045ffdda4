"""`snakemake --config experiment=FILE`: an experiment in JSON, YAML or TOML through plain
Snakemake (whose own --configfile reads only JSON and YAML), loaded as the CLI loads it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.helpers import COUNTING_SCRIPT, REPO_ROOT, experiment_config

pytestmark = pytest.mark.slow

#: a grid in TOML that also uses __import__ (relative to the file) and a {...} value
GRID_TOML = """
__import__ = "base.yaml"
optimization_procedure_name = "from_toml"
script_relative_path = "job.py"

[fixed_params]
label = "x is {x}"

[[hyperparam_list]]
param = "x"
values = [1, 2, 3]
"""


def _checkout_copy(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy2(REPO_ROOT / "Snakefile", checkout / "Snakefile")
    for name in ("workflow", "profiles", "config"):
        shutil.copytree(REPO_ROOT / name, checkout / name)
    (checkout / "job.py").write_text(COUNTING_SCRIPT)
    return checkout


def _snakemake(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--profile", "profiles/local", "--cores", "2", *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_toml_experiment_runs_through_plain_snakemake(tmp_path: Path) -> None:
    checkout = _checkout_copy(tmp_path)
    experiments = checkout / "experiments"
    experiments.mkdir()
    base = experiment_config("unused", script="job.py")
    del base["optimization_procedure_name"]
    (experiments / "base.yaml").write_text(yaml.safe_dump(base))
    (experiments / "grid.toml").write_text(GRID_TOML)

    result = _snakemake(checkout, "--config", "experiment=experiments/grid.toml")
    assert result.returncode == 0, result.stderr[-3000:]
    data = pd.read_csv(checkout / "results" / "from_toml" / "all_data.csv")
    assert sorted(data["y"]) == [2, 4, 6]
    assert sorted(data["label"]) == ["x is 1", "x is 2", "x is 3"]
    assert "fn_args.u" not in data.columns  # config/config.yaml was not read
    assert not (checkout / "results" / "example_grid").exists()

    again = _snakemake(checkout, "--config", "experiment=experiments/grid.toml")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Nothing to be done" in again.stderr


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_json_and_yaml_experiments_plan_the_same_way(tmp_path: Path, suffix: str) -> None:
    checkout = _checkout_copy(tmp_path)
    config = experiment_config("other", hyperparam_list=[{"param": "x", "values": [1, 2]}])
    text = json.dumps(config) if suffix == ".json" else yaml.safe_dump(config)
    (checkout / f"grid{suffix}").write_text(text)
    result = _snakemake(checkout, "-n", "--config", f"experiment=grid{suffix}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"^run_job\s+2$", result.stdout, re.M), result.stdout
    assert not (checkout / "results").exists()  # a dry run writes nothing


def test_experiment_with_other_settings_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    checkout = _checkout_copy(tmp_path)
    (checkout / "grid.yaml").write_text(
        yaml.safe_dump(experiment_config(hyperparam_list=[{"param": "x", "values": [1]}]))
    )
    mixed = _snakemake(checkout, "-n", "--config", "experiment=grid.yaml", "restarts=2")
    assert mixed.returncode != 0
    output = mixed.stdout + mixed.stderr  # Snakemake logs a workflow error to either
    assert "takes every setting from FILE" in output and "'restarts'" in output

    missing = _snakemake(checkout, "-n", "--config", "experiment=nowhere.toml")
    assert missing.returncode != 0
    assert f"{checkout / 'nowhere.toml'}: settings file does not exist" in (
        missing.stdout + missing.stderr
    )
