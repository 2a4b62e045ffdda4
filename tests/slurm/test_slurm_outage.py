"""The Slurm controller stops mid-run (slurmctld killed) and comes back: the driver prints one
line when it stops answering and one when it answers again, ``cluster-utils status`` says so
meanwhile, and the run finishes with every job run exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT
from tests.slurm.slurm_helpers import GridRun, cli_command, write_grid

pytestmark = [pytest.mark.slurm, pytest.mark.slow, pytest.mark.usefixtures("slurm_cluster")]

N_JOBS = 4
SLURMCTLD_PIDFILE = Path("/run/slurmctld.pid")

#: appends one line per start of the script to runs/<x>, then works for 10 s
SCRIPT = """
import time
from pathlib import Path
from cluster_utils import initialize_job, finalize_job

params = initialize_job()
runs = Path(__file__).resolve().parent / "runs"
runs.mkdir(exist_ok=True)
with open(runs / str(params.x), "a") as f:
    f.write("started\\n")
time.sleep(10)
finalize_job({"y": params.x}, params)
"""


def _wait_for(condition, seconds: float, what: str, driver_log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out after {seconds} s waiting for {what}:\n{driver_log.read_text()}"
            )
        time.sleep(0.5)


def _controller_pid() -> int:
    return int(SLURMCTLD_PIDFILE.read_text().strip())


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _restart_controller() -> None:
    env = {**os.environ, "SLURM_SMOKE_TEST": "0"}
    script = REPO_ROOT / "scripts" / "slurm-localhost.sh"
    subprocess.run(["bash", str(script), "start"], env=env, capture_output=True, timeout=120)


def _status(experiment: Path) -> str:
    command = [sys.executable, "-m", "cluster_utils.cli.main", "status", str(experiment)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60).stdout


def test_the_driver_says_when_the_controller_stops_and_answers_again(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(SCRIPT)
    config = write_grid(tmp_path, "outage", "job.py", [{"param": "x", "values": [*range(N_JOBS)]}])
    run = GridRun(tmp_path / "results" / "outage", 0, "")
    running = run.experiment / ".cluster_utils" / "status" / "running"
    driver_log = tmp_path / "driver.log"
    env = {**os.environ, "CLUSTER_UTILS_LOG_LEVEL": "warning"}
    with open(driver_log, "wb") as log:
        driver = subprocess.Popen(
            cli_command(config),
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    try:
        _wait_for(
            lambda: running.is_dir() and any(running.iterdir()), 120, "a running job", driver_log
        )
        controller = _controller_pid()
        os.kill(controller, signal.SIGTERM)
        _wait_for(lambda: not _alive(controller), 60, "slurmctld to stop", driver_log)
        record = run.experiment / ".cluster_utils" / "scheduler_outage.json"
        _wait_for(record.exists, 30, "the outage to be noticed", driver_log)
        _wait_for(lambda: "not answering" in driver_log.read_text(), 10, "the line", driver_log)
        assert "scheduler not answering since" in _status(run.experiment)
    finally:
        if not SLURMCTLD_PIDFILE.exists() or not _alive(_controller_pid()):
            _restart_controller()
    try:
        assert driver.wait(timeout=240) == 0, driver_log.read_text()
    finally:
        if driver.poll() is None:
            driver.kill()
    output = driver_log.read_text()
    assert output.count("Slurm controller not answering since") == 1, output
    assert "running jobs continue; waiting" in output
    assert output.count("Slurm controller answering again after") == 1, output
    assert "scheduler not answering" not in _status(run.experiment)
    assert not (run.experiment / ".cluster_utils" / "scheduler_outage.json").exists()
    runs = {p.name: p.read_text().splitlines() for p in (tmp_path / "runs").iterdir()}
    assert sorted(runs) == [str(x) for x in range(N_JOBS)]
    assert all(lines == ["started"] for lines in runs.values()), runs
