"""backends.slurm_clients: Snakemake gets an empty Slurm config only where Slurm's clients are
installed and their controller does not answer; what jobs inherit is the user's environment.
(The not-answering case runs for real in tests/pbs/test_pbs_slurm_clients.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cluster_utils.backends import slurm_clients
from cluster_utils.backends.slurm_clients import (
    CALLER_SLURM_CONF,
    caller_environment,
    quiet_slurm_environment,
)


@pytest.fixture(autouse=True)
def fresh_answer() -> Iterator[None]:
    slurm_clients.slurm_controller_answers.cache_clear()
    yield
    slurm_clients.slurm_controller_answers.cache_clear()


def test_without_slurm_clients_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert slurm_clients.slurm_controller_answers() is None
    env = {"PATH": "/nonexistent", "SLURM_CONF": "/etc/slurm/slurm.conf"}
    notices: list[str] = []
    assert quiet_slurm_environment(env, say=notices.append) == env
    assert notices == []


@pytest.mark.slurm
@pytest.mark.usefixtures("slurm_cluster")
def test_where_the_controller_answers_nothing_changes() -> None:
    assert slurm_clients.slurm_controller_answers() is True
    env = {"HOME": "/root"}
    assert quiet_slurm_environment(env) == env


@pytest.mark.parametrize("caller", [None, "/etc/slurm/slurm.conf", ""])
def test_jobs_get_the_callers_slurm_conf_back(caller: str | None) -> None:
    env = {"HOME": "/root"} if caller is None else {"HOME": "/root", "SLURM_CONF": caller}
    quiet = {**env, "SLURM_CONF": "/dev/null"}
    quiet[CALLER_SLURM_CONF] = "" if caller is None else f"={caller}"
    assert caller_environment(quiet) == env
    # an environment that was never quieted is left as it is
    assert caller_environment(env) == env
