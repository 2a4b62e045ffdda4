"""The executor a profile selects must be installed before anything runs: one line naming what
to install, exit 2, nothing written. (A fresh venv without the extras: test_missing_extras.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cluster_utils.backends.missing_executor import (
    MissingExecutorPluginError,
    missing_modules,
    require_executor,
)
from cluster_utils.execution.profiles import profile_executor, profile_for_run, resolve_profile
from tests.helpers import COUNTING_SCRIPT, Experiment, write_config


def test_bundled_profiles_name_their_executors() -> None:
    assert profile_executor(resolve_profile("local")) == "local"
    assert profile_executor(resolve_profile("slurm")) == "cluster-utils-slurm"
    assert profile_executor(resolve_profile("htcondor")) == "cluster-utils-htcondor"


def test_snakemake_s_own_executors_need_nothing() -> None:
    for executor in ("local", "dryrun", "touch"):
        assert missing_modules(executor) == []
        require_executor(executor, "--profile x")


def _profile(tmp_path: Path, executor: str) -> Path:
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "config.yaml").write_text(f"executor: {executor}\njobs: 2\n")
    return profile


def test_a_profile_with_an_executor_that_is_not_installed(tmp_path: Path) -> None:
    profile = _profile(tmp_path, "no-such-scheduler")
    with pytest.raises(MissingExecutorPluginError) as error:
        profile_for_run({}, str(profile), force_local=False)
    message = str(error.value)
    assert message.startswith(f"--profile {profile}, but its Snakemake executor no-such-scheduler")
    assert "snakemake-executor-plugin-no-such-scheduler, which is not installed" in message
    assert message.endswith("pip install snakemake-executor-plugin-no-such-scheduler")
    # --force-local does not need it
    assert profile_for_run({}, str(profile), force_local=True)[0] == resolve_profile("local")


def test_the_cli_stops_in_one_line(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1]}])
    profile = _profile(experiment.workdir, "no-such-scheduler")
    result = experiment.run("--profile", str(profile))
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "pip install snakemake-executor-plugin-no-such-scheduler" in errors[0]
    assert "Traceback" not in result.stderr and "usage:" not in result.stderr
    assert not (experiment.workdir / "results").exists()


@pytest.mark.parametrize("hpo", [False, True], ids=["grid-search", "optimize"])
def test_strict_refuses_what_pbs_cannot_express_before_anything_runs(
    tmp_path: Path, hpo: bool
) -> None:
    """3.0's several-host hostname_list is one warning on PBS; with --strict both commands stop
    with a config error naming the key (no PBS server is asked, nothing is written)."""
    (tmp_path / "job.py").write_text(COUNTING_SCRIPT)
    requirements = {"request_cpus": 1, "hostname_list": ["g018", "g025"]}
    grid = {} if hpo else {"hyperparam_list": [{"param": "x", "values": [1]}]}
    write_config(tmp_path / "exp.yaml", hpo=hpo, cluster_requirements=requirements, **grid)
    command = "optimize" if hpo else "grid-search"
    argv = [sys.executable, "-m", "cluster_utils.cli.main", command, "exp.yaml", "--profile"]
    result = subprocess.run(
        [*argv, "pbs", "--strict"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "cluster_requirements.hostname_list: PBS can place a job on one named" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()
