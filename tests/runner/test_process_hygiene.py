"""A job runs in its own process group that ends with it; a job whose runner was killed is
shown as lost and runs again on the next run only if it did not finish."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import Experiment

pytestmark = pytest.mark.slow

LEAVES_A_CHILD = """
import json, os, subprocess
from cluster_utils import initialize_job, finalize_job
params = initialize_job()
here = os.path.dirname(os.path.abspath(__file__))
child = subprocess.Popen(["sleep", "300"])
with open(os.path.join(here, "pids.json"), "w") as f:
    json.dump({"job": os.getpid(), "group": os.getpgid(0), "child": child.pid,
               "pre_job_child": int(open(os.path.join(here, "pre_child")).read()),
               "pre_job_child_alive": os.path.exists(
                   "/proc/" + open(os.path.join(here, "pre_child")).read().strip())}, f)
finalize_job({"y": 1}, params)
"""

#: the first run of the job takes params.first_run_seconds, later runs finish at once
COUNTED_SLOW_FIRST_RUN = """
import os, time
from cluster_utils import initialize_job, finalize_job
params = initialize_job()
runs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runs")
os.makedirs(runs, exist_ok=True)
with open(os.path.join(runs, str(params.x)), "a") as f:
    f.write("run\\n")
if len(open(os.path.join(runs, str(params.x))).read().splitlines()) == 1:
    time.sleep(params.first_run_seconds)
finalize_job({"y": params.x}, params)
"""


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be collected is dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def status(experiment: Experiment) -> str:
    return subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", "status", str(experiment.results)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize("fresh_interpreter", [False, True], ids=["forked", "fresh"])
def test_processes_a_job_leaves_behind_end_with_it(
    experiment: Experiment, fresh_interpreter: bool
) -> None:
    experiment.write_script(LEAVES_A_CHILD)
    pre = experiment.workdir / "pre.sh"
    pre.write_text("#!/bin/sh\nsleep 300 &\necho $! > pre_child\n")
    pre.chmod(0o755)
    variables = {"FORCE_A_FRESH_INTERPRETER": "1"} if fresh_interpreter else {}
    experiment.write_config(
        [{"param": "x", "values": [1]}],
        environment_setup={"pre_job_script": "pre.sh", "variables": variables},
        remove_jobs_dir=False,
    )
    result = experiment.run()
    assert experiment.state(0)["status"] == "succeeded", result.stderr
    pids = json.loads((experiment.workdir / "pids.json").read_text())
    assert pids["group"] == pids["job"] != os.getpgid(0)  # its own process group
    assert pids["pre_job_child_alive"]  # what the pre_job_script started lives as long as the job
    assert not alive(pids["child"])
    assert not alive(pids["pre_job_child"])
    stderr = (experiment.results / "jobs" / "0" / "stderr.log").read_text()
    assert "stopped 1 process(es) left running in the job's process group" in stderr


def _start_and_kill_the_runner(experiment: Experiment) -> dict:
    driver = experiment.start()
    try:
        state_file = experiment.results / "jobs" / "0" / "state.json"
        wait_for(lambda: state_file.exists() and experiment.state(0).get("job_pid"))
        state = experiment.state(0)
        os.kill(state["runner_pid"], signal.SIGKILL)
        wait_for(lambda: not alive(state["runner_pid"]))
        shown = status(experiment)
        assert "1 lost" in shown
        assert f"lost    job 0: its runner (pid {state['runner_pid']}" in shown
    finally:
        driver.communicate(timeout=120)
    return state


def test_lost_job_that_finished_meanwhile_is_not_run_again(experiment: Experiment) -> None:
    experiment.write_script(COUNTED_SLOW_FIRST_RUN)
    experiment.write_config([{"param": "x", "values": [1]}], fixed_params={"first_run_seconds": 3})
    state = _start_and_kill_the_runner(experiment)
    wait_for(lambda: not alive(state["job_pid"]))  # the job went on and finished
    result = experiment.run()
    assert experiment.state(0)["status"] == "succeeded", result.stderr
    assert experiment.run_counts() == {"1": 1}
    assert experiment.all_data()["y"].tolist() == [1]


def test_lost_job_still_running_is_stopped_and_run_again(experiment: Experiment) -> None:
    experiment.write_script(COUNTED_SLOW_FIRST_RUN)
    experiment.write_config(
        [{"param": "x", "values": [1]}], fixed_params={"first_run_seconds": 300}
    )
    state = _start_and_kill_the_runner(experiment)
    assert alive(state["job_pid"])  # the job outlived its runner...
    result = experiment.run(timeout=60)
    assert not alive(state["job_pid"])  # ...until the next run stopped it
    assert experiment.state(0)["status"] == "succeeded", result.stderr
    assert experiment.run_counts() == {"1": 2}
    log = (experiment.results / "cluster_run.log").read_text()
    assert "was lost while the job ran; running it again." in log
