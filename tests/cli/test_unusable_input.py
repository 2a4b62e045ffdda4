"""Input that cannot be used ends in one clear line and exit code 2, with nothing written:
unsafe experiment names, an unusable results_dir, a full disk, a grid and an optimization in
one directory, nonsense numbers, status of something that is not an experiment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import COUNTING_SCRIPT, Experiment


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("x: y", "Snakemake cannot take it as a path"),
        ("{x}", "'{'"),
        ("a\nb", "control characters"),
        ("../x", "one directory name"),
        ("/abs", "one directory name"),
        (".", "inside results_dir"),
    ],
)
def test_unsafe_experiment_names_are_refused(experiment: Experiment, name: str, rule: str) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1]}])
    result = experiment.run(f"optimization_procedure_name={name!r}")
    assert rule in _one_line_error(result)
    assert not (experiment.workdir / "results").exists()
    assert not (experiment.workdir / "x").exists()


def test_results_dir_that_is_a_file(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1]}])
    (experiment.workdir / "results").write_text("not a directory")
    assert "cannot use" in _one_line_error(experiment.run())


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a file system needs root")
def test_read_only_and_full_file_systems(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config(
        [{"param": "x", "values": list(range(40))}], fixed_params={"pad": "p" * 4000}
    )
    mount = experiment.workdir / "results"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k,ro", "tmpfs", str(mount)], check=True)
    try:
        assert "Read-only file system" in _one_line_error(experiment.run())
        subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
        line = _one_line_error(experiment.run())
        assert "No space left on device" in line and "run the same command again" in line
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.slow
def test_grid_and_optimization_never_share_a_directory(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1]}])
    assert experiment.run().returncode == 0
    before = sorted(p.name for p in experiment.results.iterdir())
    data = (experiment.results / "all_data.csv").read_bytes()
    hpo_config = experiment.workdir / "hpo.yaml"
    hpo_config.write_text(
        yaml.safe_dump(
            {
                "optimization_procedure_name": experiment.name,
                "results_dir": "results",
                "script_relative_path": "job.py",
                "environment_setup": {},
                "optimizer_str": "cem_metaoptimizer",
                "optimizer_settings": {"with_restarts": False, "num_jobs_in_elite": 5},
                "optimization_setting": {
                    "metric_to_optimize": "y",
                    "minimize": True,
                    "number_of_samples": 2,
                    "n_jobs_per_iteration": 2,
                },
                "optimized_params": [{"param": "x", "distribution": "Discrete", "options": [1, 2]}],
            }
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", "optimize", str(hpo_config)],
        cwd=experiment.workdir,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    line = _one_line_error(result)
    assert "holds a grid search, not an hp_optimization" in line
    assert sorted(p.name for p in experiment.results.iterdir()) == before
    assert (experiment.results / "all_data.csv").read_bytes() == data


@pytest.mark.parametrize("cores", ["0", "-2", "many"])
def test_nonsense_core_counts(experiment: Experiment, cores: str) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1]}])
    result = experiment.run("--cores", cores, timeout=30)
    assert result.returncode == 2
    assert "--cores" in result.stderr
    assert not (experiment.workdir / "results").exists()


@pytest.mark.slow
def test_duplicate_values_run_each_setting_once(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1, 1, 1, 2]}])
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert "duplicate setting" in result.stderr
    assert "2 succeeded, 0 failed" in result.stderr
    data = experiment.all_data()
    assert sorted(data["x"]) == [1, 2]
    assert experiment.run_counts() == {"1": 1, "2": 1}


@pytest.mark.parametrize("what", ["file", "empty directory"])
def test_status_of_something_that_is_not_an_experiment(tmp_path: Path, what: str) -> None:
    target = tmp_path / "thing"
    if what == "file":
        target.write_text("x")
    else:
        target.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", "status", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "not a cluster_utils results directory" in _one_line_error(result)
    shutil.rmtree(target, ignore_errors=True)
