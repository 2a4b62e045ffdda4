"""The runner forks itself for a job only where a fresh interpreter would behave the same."""

from __future__ import annotations

import sys

from cluster_utils.experiment.launch_spec import LaunchSpec
from cluster_utils.runner.forked_job import can_fork

RUNNER_ENV = {"PATH": "/usr/bin", "LANG": "C.UTF-8"}


def _spec(**kwargs: object) -> LaunchSpec:
    return LaunchSpec(command=[sys.executable, "job.py"], cwd=".", **kwargs)  # type: ignore[arg-type]


def test_plain_python_job_is_forked() -> None:
    assert can_fork(_spec(), RUNNER_ENV)
    assert can_fork(_spec(variables={"LANG": "C.UTF-8"}), RUNNER_ENV)  # nothing changes


def test_variables_the_interpreter_reads_at_start_need_a_fresh_one() -> None:
    assert not can_fork(_spec(variables={"PYTHONPATH": "/opt/libs"}), RUNNER_ENV)
    assert not can_fork(_spec(variables={"LANG": "de_DE.UTF-8"}), RUNNER_ENV)
    assert not can_fork(_spec(variables={"MY_SETTING": "1"}), RUNNER_ENV)


def test_other_interpreters_and_wrappers_need_a_fresh_one() -> None:
    assert not can_fork(_spec(virtual_env_path="/venv"), RUNNER_ENV)
    assert not can_fork(_spec(conda_env_path="env"), RUNNER_ENV)
    assert not can_fork(_spec(container=["singularity", "exec", "i.sif"]), RUNNER_ENV)
    assert not can_fork(LaunchSpec(command=["python3", "job.py"], cwd="."), RUNNER_ENV)
    assert not can_fork(_spec(), {**RUNNER_ENV, "CLUSTER_UTILS_FORK": "0"})
