"""The cluster-utils command: help, version, bad input (exit 2, one message per problem), status."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cluster_utils._version import __version__
from tests.helpers import COUNTING_SCRIPT, Experiment


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_version() -> None:
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"cluster_utils {__version__}"


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("grid-search", ["--profile", "--force-local", "--cores", "--dry-run", "--verbose"]),
        ("optimize", ["--profile", "--force-local", "--cores", "--force", "--verbose"]),
        ("report", ["--force"]),
        ("status", ["--all"]),
    ],
)
def test_help_lists_every_option(command: str, options: list[str]) -> None:
    result = cli(command, "--help")
    assert result.returncode == 0
    for option in options:
        assert option in result.stdout


def test_top_level_help_lists_commands() -> None:
    out = cli("--help").stdout
    for command in ("grid-search", "optimize", "report", "status"):
        assert command in out


def test_unknown_key_and_wrong_type_give_one_message_each_and_exit_2(
    experiment: Experiment,
) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1]}], restrats=2, restarts="two")
    result = experiment.run()
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    # an unknown key is only a warning: not among the errors that refuse the config
    assert not [line for line in lines if line.startswith("error:") and "restrats" in line]
    assert any(line.startswith("error: restarts: expected an integer") for line in lines)
    assert not (experiment.results / "jobs").exists()  # nothing ran


def test_non_literal_override_is_a_clear_error(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1]}])
    result = experiment.run("optimization_procedure_name=foo")
    assert result.returncode == 2
    assert (
        "error: override 'optimization_procedure_name=foo': not a Python literal; quote "
        "strings: optimization_procedure_name='\"foo\"'" in result.stderr
    )


def test_missing_config_file_exit_2(tmp_path) -> None:
    result = cli("grid-search", str(tmp_path / "nope.yaml"), "--profile", "local")
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr


def test_unknown_profile_is_a_clear_error(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1]}])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cluster_utils.cli.main",
            "grid-search",
            str(experiment.config_file),
            "--profile",
            "nowhere",
        ],
        capture_output=True,
        text=True,
        cwd=experiment.workdir,
        timeout=60,
    )
    assert result.returncode == 2
    assert "profile 'nowhere' is neither one of local, slurm, htcondor" in result.stderr


@pytest.mark.slow
def test_override_changes_the_experiment(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1, 2]}])
    result = experiment.run("optimization_procedure_name='renamed'", "fixed_params.sleep=0")
    assert result.returncode == 0, result.stderr
    assert (experiment.workdir / "results" / "renamed" / "all_data.csv").is_file()


@pytest.mark.slow
def test_status_lists_failed_with_reason_and_pending(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config(
        [{"param": "x", "values": [1, 2]}], fixed_params={"mode": "fail", "failing": [2]}
    )
    assert experiment.run().returncode == 0  # 3.0: a completed run exits 0 although a job failed
    result = cli("status", str(experiment.results))
    assert result.returncode == 0
    assert "2 jobs: 1 succeeded, 1 failed, 0 running, 0 pending" in result.stdout
    assert "failed  job 1: exited with code 1" in result.stdout
    assert "something went wrong in the job" in result.stdout


def test_status_of_a_directory_that_is_no_experiment(tmp_path) -> None:
    result = cli("status", str(tmp_path))
    assert result.returncode == 2
    assert "not a cluster_utils results directory" in result.stderr


@pytest.mark.slow
def test_report_command_writes_the_grid_report(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1, 2, 3]}])
    assert experiment.run().returncode == 0
    out = experiment.workdir / "r.pdf"
    result = cli("report", str(experiment.results), str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
    assert cli("report", str(experiment.results), str(out)).returncode == 1  # exists, no --force
    assert cli("report", str(experiment.results), str(out), "--force").returncode == 0
