"""The executor a profile selects must be installed before anything runs: one line naming what
to install, exit 2, nothing written. (A fresh venv without the extras: test_missing_extras.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster_utils.backends.missing_executor import (
    MissingExecutorPluginError,
    missing_modules,
    require_executor,
)
from cluster_utils.execution.profiles import profile_executor, profile_for_run, resolve_profile
from tests.helpers import COUNTING_SCRIPT, Experiment


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
