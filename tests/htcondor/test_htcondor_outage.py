"""The HTCondor executor's status path when the schedd stops answering: without daemons, its
probe (a real ``condor_q``-style command that fails, times out or answers) and the one line per
change of state that the shared SchedulerOutage makes of it; on the localhost pool, a run whose
schedd is stopped for a while."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.scheduler_outage import read_outage
from cluster_utils.scheduler.outage import SchedulerOutage
from tests.htcondor.conftest import write_test_profile
from tests.htcondor.test_htcondor_grid import cli, write_grid

if TYPE_CHECKING:
    from tests.htcondor.conftest import Pool

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
    return SimpleNamespace(
        _outage=outage, _last_schedd_probe=float("-inf"), _probe_seconds=_schedd.PROBE_SECONDS
    )


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


def _schedd_pid() -> int:
    """The pool's condor_schedd (its root's daemons are visible on the host)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().split()[1] == "(condor_schedd)":
                return int(stat.parent.name)
        except (OSError, IndexError):
            continue
    pytest.fail("no condor_schedd running")


def _wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.3)


@pytest.mark.htcondor
def test_the_driver_says_when_the_schedd_stops_and_answers_again(
    htcondor_pool: Pool, tmp_path: Path
) -> None:
    """The pool's schedd is stopped (SIGSTOP: it neither answers nor ends its jobs) while jobs
    run, then continued: one line each way on the driver's output, every job ran once."""
    workdir = tmp_path / "outage"
    write_grid(workdir, "outage", ["o0", "o1", "o2"], fixed_params={"sleep": 6})
    profile = write_test_profile(workdir)
    settings = yaml.safe_load((profile / "config.yaml").read_text())
    settings["cluster-utils-htcondor-schedd-probe-seconds"] = 2
    (profile / "config.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    experiment = workdir / "results" / "outage"
    running = experiment / ".cluster_utils" / "status" / "running"
    proc = htcondor_pool.start(workdir, *cli("--profile", str(profile)))
    schedd = _schedd_pid()
    stopped = False
    try:
        _wait_for(lambda: running.is_dir() and any(running.iterdir()), 120, "a running job")
        os.kill(schedd, signal.SIGSTOP)
        stopped = True
        record = experiment / ".cluster_utils" / "scheduler_outage.json"
        _wait_for(record.exists, 40, "the outage to be noticed")
    finally:
        if stopped:
            os.kill(schedd, signal.SIGCONT)
    result = htcondor_pool.finish(proc, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stderr
    assert output.count("HTCondor schedd not answering since") == 1, output
    assert "running jobs continue; waiting" in output
    assert output.count("HTCondor schedd answering again after") == 1, output
    assert not (experiment / ".cluster_utils" / "scheduler_outage.json").exists()
    runs = {p.name: p.read_text().splitlines() for p in (workdir / "runs").iterdir()}
    assert sorted(runs) == ["o0", "o1", "o2"]
    assert all(len(lines) == 1 for lines in runs.values()), runs
