"""A local job stops when its driver dies (kill -9), unless it has already handed in its results:
stopping it then would throw a finished result away and run the job again on resume."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.hpo.hpo_helpers import HpoRun, wait_for

pytestmark = pytest.mark.slow

FINISHING_JOB = """
import time
from cluster_utils import initialize_job, finalize_job
params = initialize_job()
time.sleep(params.before)
finalize_job({"loss": params.x}, params)
time.sleep(params.after)  # closing files, uploading a checkpoint, ...
"""


@pytest.mark.parametrize(
    ("before", "handed_in"), [(0.2, True), (30, False)], ids=["handed-in", "still-working"]
)
def test_dead_driver(hpo_workdir: Path, before: float, handed_in: bool) -> None:
    (hpo_workdir / "job.py").write_text(FINISHING_JOB)
    run = HpoRun.with_config(
        hpo_workdir,
        optimization_setting={"number_of_samples": 1, "n_jobs_per_iteration": 1},
        fixed_params={"before": before, "after": 3},
    )
    driver = run.start()
    if handed_in:  # killed after finalize_job, while the job still works
        final = run.results / "working_directories" / "0" / ".cluster_utils"
        wait_for(lambda: (final / "final_metrics.json").exists())
    else:
        wait_for(lambda: bool(run.ids_with_status("running")))
    time.sleep(0.2)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    wait_for(lambda: not run.ids_with_status("running"), timeout=20)
    status = run.states()[0]["status"]
    assert (status == "succeeded") is handed_in, status
