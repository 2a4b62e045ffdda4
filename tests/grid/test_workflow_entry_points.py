"""The two ways into the workflow besides the CLI: a checkout's `snakemake --profile`, a wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.helpers import COUNTING_SCRIPT, REPO_ROOT, write_config

pytestmark = pytest.mark.slow


def _checkout_copy(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    for name in ("Snakefile", "workflow", "profiles", "config", "examples"):
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, checkout / name)
        else:
            checkout.mkdir(exist_ok=True)
            shutil.copy2(source, checkout / name)
    return checkout


def test_snakemake_profile_local_runs_the_example_experiment(tmp_path: Path) -> None:
    checkout = _checkout_copy(tmp_path)
    config = yaml.safe_load((checkout / "config" / "config.yaml").read_text())
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--profile", "profiles/local", "--cores", "2"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    experiment = checkout / config["results_dir"] / config["optimization_procedure_name"]
    data = pd.read_csv(experiment / "all_data.csv")
    assert len(data) == config["samples"] * config.get("restarts", 1)
    assert (experiment / f"{config['optimization_procedure_name']}_report.pdf").is_file()

    # Snakemake's HTML report of the same run (Snakemake works in the experiment directory)
    report = subprocess.run(
        [sys.executable, "-m", "snakemake", "--report", "report.html"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.returncode == 0, report.stderr[-3000:]
    assert "Missing metadata" not in report.stderr
    html = (experiment / "report.html").read_text(errors="replace")
    assert "job_timeline.png" in html and "param_distributions.png" in html

    # a second run has nothing to do: no job runs again
    again = subprocess.run(
        [sys.executable, "-m", "snakemake", "--profile", "profiles/local", "--cores", "2"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0
    assert "Nothing to be done" in again.stderr


def test_snakemake_with_another_configfile_does_not_mix_configs(tmp_path: Path) -> None:
    checkout = _checkout_copy(tmp_path)
    (checkout / "job.py").write_text(COUNTING_SCRIPT)
    write_config(
        checkout / "other.yaml", "other", hyperparam_list=[{"param": "x", "values": [1, 2]}]
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--profile",
            "profiles/local",
            "--configfile",
            "other.yaml",
            "--cores",
            "2",
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = pd.read_csv(checkout / "results" / "other" / "all_data.csv")
    assert sorted(data["y"]) == [2, 4]
    assert "fn_args.u" not in data.columns  # nothing leaked from config/config.yaml


def test_non_editable_install_runs_from_any_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(REPO_ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    (workdir / "job.py").write_text(COUNTING_SCRIPT)
    write_config(
        workdir / "grid.yaml", "from_wheel", hyperparam_list=[{"param": "x", "values": [1, 2, 3]}]
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import cluster_utils.base.workflow_files as w; print(w.workflow_root())",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(target)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cluster_utils.cli.main",
            "grid-search",
            "grid.yaml",
            "--profile",
            "local",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(pd.read_csv(workdir / "results" / "from_wheel" / "all_data.csv")) == 3
