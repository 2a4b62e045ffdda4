"""The HTCondor executor's status path when the schedd stops answering, without daemons: its
probe (a real ``condor_q``-style command that fails, times out or answers) and the one line per
change of state that the shared SchedulerOutage makes of it."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.scheduler_outage import read_outage
from cluster_utils.scheduler.outage import SchedulerOutage

executor_module = pytest.importorskip("snakemake_executor_plugin_cluster_utils_htcondor._executor")
from snakemake_executor_plugin_cluster_utils_htcondor import _schedd  # noqa: E402

#: a schedd that does not answer within the probe's timeout
HANGING = (sys.executable, "-c", "import time; time.sleep(30)")
#: condor_q's answer when no schedd can be reached (exit code 1)
FAILING = (
    sys.executable,
    "-c",
    "import sys; sys.exit('Error: Could not locate schedd; condor_q: Failed to fetch ads')",
)
ANSWERING = (sys.executable, "-c", "pass")


REAL_PROBE = _schedd.schedd_problem


def _probe(monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...], timeout: float) -> None:
    """The executor's probe runs ``command`` (a real process) in place of condor_q."""

    async def probe() -> str | None:
        return await REAL_PROBE(command, timeout=timeout)

    monkeypatch.setattr(_schedd, "schedd_problem", probe)


def _executor(experiment: Path, said: list[str]) -> Any:
    outage = SchedulerOutage("HTCondor schedd", said.append)
    outage.watch(experiment)
    return SimpleNamespace(_outage=outage, _last_schedd_probe=float("-inf"))


def _check(fake: Any) -> None:
    asyncio.run(executor_module.Executor._probe_schedd(fake))


def test_the_probe_tells_an_answer_from_a_failure_and_a_timeout() -> None:
    assert asyncio.run(_schedd.schedd_problem(ANSWERING)) is None
    failed = asyncio.run(_schedd.schedd_problem(FAILING))
    assert failed is not None and "Could not locate schedd" in failed
    assert "no answer within" in (asyncio.run(_schedd.schedd_problem(HANGING, timeout=0.5)) or "")
    missing = asyncio.run(_schedd.schedd_problem(("no-such-condor_q-here",)))
    assert missing is not None and missing.startswith("no-such-condor_q-here:")


@pytest.mark.skipif(shutil.which("condor_q") is not None, reason="condor_q is installed here")
def test_without_condor_q_the_schedd_does_not_answer() -> None:
    problem = asyncio.run(_schedd.schedd_problem())
    assert problem is not None and problem.startswith("condor_q:")


def test_one_line_when_the_schedd_stops_answering_and_one_when_it_answers_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said: list[str] = []
    fake = _executor(tmp_path, said)
    layout = ExperimentLayout.at(tmp_path)
    _probe(monkeypatch, FAILING, 5)
    _check(fake)
    _probe(monkeypatch, HANGING, 0.5)
    _check(fake)  # during an outage every status check asks again; nothing more is said
    assert len(said) == 1 and said[0].startswith("cluster_utils: HTCondor schedd not answering")
    assert "running jobs continue; waiting (" in said[0]
    recorded = read_outage(layout)
    assert recorded is not None and recorded.scheduler == "HTCondor schedd"
    _probe(monkeypatch, ANSWERING, 5)
    _check(fake)
    assert len(said) == 2 and said[1].startswith("cluster_utils: HTCondor schedd answering again")
    assert read_outage(layout) is None
    _probe(monkeypatch, FAILING, 5)
    _check(fake)  # while it answered, the next probe waits PROBE_SECONDS
    assert len(said) == 2
