"""``--dry-run`` only looks: it lists every job (id, parameters, run or skip) and writes nothing
under results_dir, through the CLI and through plain ``snakemake -n``."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import COUNTING_SCRIPT, REPO_ROOT, Experiment

pytestmark = pytest.mark.slow


def _snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its content hash and mtime."""
    return {
        str(path.relative_to(root)): hashlib.sha1(path.read_bytes()).hexdigest()
        + f"@{path.stat().st_mtime_ns}"
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_dry_run_of_a_new_experiment_writes_nothing(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1, 2, 3]}])
    result = experiment.run("--dry-run")
    assert result.returncode == 0, result.stderr
    assert not (experiment.workdir / "results").exists()
    assert experiment.run_counts() == {}
    assert "3 jobs, 3 would run, 0 would be skipped" in result.stdout
    for job_id, x in enumerate([1, 2, 3]):
        assert f"job    {job_id}  run  x={x}" in result.stdout


def test_dry_run_after_a_run_changes_nothing_and_shows_what_is_skipped(
    experiment: Experiment,
) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config(
        [{"param": "x", "values": [1, 2]}], fixed_params={"mode": "fail", "failing": [2]}
    )
    assert experiment.run().returncode == 0
    before = _snapshot(experiment.results)
    experiment.write_config(
        [{"param": "x", "values": [1, 2, 3]}], fixed_params={"mode": "fail", "failing": [2]}
    )
    result = experiment.run("--dry-run")
    assert result.returncode == 0, result.stderr
    assert _snapshot(experiment.results) == before
    out = result.stdout
    assert "3 jobs, 2 would run, 1 would be skipped" in out
    assert "skip (succeeded)" in out and "run again (failed)" in out
    assert "job    2  run" in out and "x=3" in out
    status = subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", "status", str(experiment.results)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "2 jobs: 1 succeeded, 1 failed" in status.stdout


def test_plain_snakemake_dry_run_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(COUNTING_SCRIPT)
    config = {
        "optimization_procedure_name": "plain",
        "results_dir": str(tmp_path / "results"),
        "script_relative_path": str(tmp_path / "job.py"),
        "run_in_working_dir": True,
        "environment_setup": {},
        "hyperparam_list": [{"param": "x", "values": [1, 2]}],
    }
    config_file = tmp_path / "grid.yaml"
    config_file.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--snakefile",
            str(REPO_ROOT / "Snakefile"),
            "--configfile",
            str(config_file),
            "--replace-workflow-config",
            "--cores",
            "1",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "results").exists()
