"""request_time is enforced on local runs as on Slurm: the timeout signal first, then the stop."""

from __future__ import annotations

import time

import pytest

from cluster_utils.experiment.job_state import EXCEEDED_REQUEST_TIME
from snakemake_executor_plugin_cluster_utils_slurm._status import JobStatus, failure_reason
from tests.helpers import Experiment

SLOW_JOB = """
import os, signal, time
from cluster_utils import initialize_job, finalize_job
params = initialize_job()
started = time.monotonic()
here = os.path.dirname(os.path.abspath(__file__))

def timeout_is_near(signum, frame):
    with open(os.path.join(here, "usr1_after"), "w") as f:
        f.write(str(time.monotonic() - started))

signal.signal(signal.SIGUSR1, timeout_is_near)
time.sleep(params.seconds)
finalize_job({"y": 1}, params)
"""


@pytest.mark.slow
def test_job_gets_the_signal_and_is_stopped_at_request_time(experiment: Experiment) -> None:
    experiment.write_script(SLOW_JOB)
    experiment.write_config(
        [{"param": "seconds", "values": [60]}],
        cluster_requirements={"request_time": "0:03", "signal_seconds_to_timeout": 1},
    )
    began = time.monotonic()
    experiment.run(timeout=60)
    assert time.monotonic() - began < 30
    state = experiment.state(0)
    assert state["status"] == "failed"
    assert state["reason"] == "exceeded request_time (local time limit of 0:03)"
    attempt = state["attempts"][-1]
    assert 2.9 < attempt["end"] - attempt["start"] < 6
    # SIGUSR1 came signal_seconds_to_timeout (1 s) before the 3-s limit
    usr1_after = float((experiment.workdir / "usr1_after").read_text())
    assert 1.5 < usr1_after < 2.9


@pytest.mark.slow
def test_job_within_request_time_is_not_disturbed(experiment: Experiment) -> None:
    experiment.write_script(SLOW_JOB)
    experiment.write_config(
        [{"param": "seconds", "values": [0.5]}],
        cluster_requirements={"request_time": "0:05", "signal_seconds_to_timeout": 1},
    )
    result = experiment.run(timeout=60)
    assert experiment.state(0)["status"] == "succeeded", result.stderr
    assert not (experiment.workdir / "usr1_after").exists()


def test_every_backend_names_a_timeout_the_same() -> None:
    slurm_timeout = JobStatus("7_1", "TIMEOUT", "0:15", "00:01:00", "node1", "TIMEOUT")
    assert failure_reason(slurm_timeout).startswith(EXCEEDED_REQUEST_TIME + " (")
    assert EXCEEDED_REQUEST_TIME == "exceeded request_time"
