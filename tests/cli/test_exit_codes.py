"""Exit codes as 3.0 had them (README: "Exit codes"), for the CLI and the 3.0 entry points.

0: the run completed, even with failed jobs; 1: aborted by 3.0's rule, interrupted, or an
optimization without a successful job (and with --strict: any failed job); 2: config errors.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import COUNTING_SCRIPT, Experiment

pytestmark = pytest.mark.slow


def _grid_with_one_failure(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config(
        [{"param": "x", "values": [1, 2]}], fixed_params={"mode": "fail", "failing": [2]}
    )


@pytest.mark.parametrize("entry", ["cli", "3.0"])
def test_grid_with_a_failed_job_completes_with_0(experiment: Experiment, entry: str) -> None:
    _grid_with_one_failure(experiment)
    result = subprocess.run(
        experiment.command(entry=entry) + (["--force-local"] if entry == "3.0" else []),
        cwd=experiment.workdir,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "1 succeeded, 1 failed" in result.stderr
    assert "job 1 failed" in result.stderr or "job 0 failed" in result.stderr


def test_strict_makes_a_failed_job_exit_1(experiment: Experiment) -> None:
    _grid_with_one_failure(experiment)
    assert experiment.run("--strict").returncode == 1


def test_grid_aborted_by_the_3_0_rule_exits_1(experiment: Experiment) -> None:
    experiment.write_script("import sys\nsys.exit(1)\n")
    experiment.write_config([{"param": "x", "values": list(range(10))}])
    result = experiment.run("--cores", "1")
    assert result.returncode == 1
    assert "Too many (6) jobs failed" in result.stderr


def test_config_error_exits_2(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1]}], restarts="two")
    assert experiment.run().returncode == 2


def _hpo_config(workdir: Path, failing: bool) -> Path:
    (workdir / "job.py").write_text(
        "from cluster_utils import cluster_main\n\n"
        "@cluster_main\n"
        "def main(working_dir, id, x, fail, **kwargs):\n"
        "    if fail:\n"
        "        raise RuntimeError('every job fails')\n"
        "    return {'loss': x * x}\n\n"
        "if __name__ == '__main__':\n"
        "    main()\n"
    )
    config = {
        "optimization_procedure_name": "opt",
        "results_dir": "results",
        "script_relative_path": "job.py",
        "run_in_working_dir": True,
        "environment_setup": {},
        "optimizer_str": "cem_metaoptimizer",
        "optimizer_settings": {"with_restarts": False, "num_jobs_in_elite": 5},
        "optimization_setting": {
            "metric_to_optimize": "loss",
            "minimize": True,
            "number_of_samples": 3,
            "n_jobs_per_iteration": 3,
        },
        "fixed_params": {"fail": failing},
        "optimized_params": [
            {"param": "x", "distribution": "TruncatedNormal", "bounds": [-1.0, 1.0]}
        ],
    }
    path = workdir / "hpo.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize(("failing", "code"), [(True, 1), (False, 0)])
def test_optimization_without_a_successful_job_exits_1(
    tmp_path: Path, failing: bool, code: int
) -> None:
    config = _hpo_config(tmp_path, failing)
    result = subprocess.run(
        [sys.executable, "-m", "cluster_utils.hp_optimization", str(config), "--force-local"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == code, result.stderr
