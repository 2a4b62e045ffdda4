"""kill -9 of the driver at any moment, then the same command: nothing lost, nothing re-run."""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.hpo.hpo_helpers import DATA, HpoRun, wait_for

pytestmark = pytest.mark.slow

SAMPLES = 12
IN_FLIGHT = 3


def _experiment(workdir: Path) -> HpoRun:
    shutil.copy(DATA / "counted_job.py", workdir / "job.py")
    return HpoRun.with_config(
        workdir,
        optimization_setting={"number_of_samples": SAMPLES, "n_jobs_per_iteration": IN_FLIGHT},
        fixed_params={"durations": [0.4, 0.25, 0.6]},
        num_best_jobs_whose_data_is_kept=2,
    )


def _check_complete(run: HpoRun, finished_before_resume: set[int]) -> None:
    records = run.driver_state()["jobs"]
    ids = [record["id"] for record in records]
    assert len(ids) == SAMPLES == len(set(ids))
    assert all(record["status"] == "succeeded" for record in records)
    registry = json.loads((run.results / ".cluster_utils" / "job_ids.json").read_text())
    assert len(set(registry.values())) == len(registry)
    assert set(ids) <= set(registry.values())
    assert set(run.states()) == set(ids)

    counts = run.run_counts()
    for job_id in finished_before_resume:
        assert counts[job_id] == ["start", "finished"], f"finished job {job_id} ran again"
    for job_id in ids:
        assert counts[job_id].count("finished") == 1, (job_id, counts[job_id])

    all_data = run.all_data()
    assert sorted(all_data["_id"]) == sorted(ids)
    assert len(list((run.results / "best_jobs").iterdir())) == 2


@pytest.mark.parametrize("moment", ["early", "mid", "near_end"])
def test_kill_9_and_resume(hpo_workdir: Path, moment: str) -> None:
    run = _experiment(hpo_workdir)
    driver = run.start()
    threshold = {"early": 0, "mid": SAMPLES // 2, "near_end": SAMPLES - 2}[moment]
    if moment == "early":
        wait_for(lambda: bool(run.ids_with_status("running")))
    else:
        wait_for(lambda: len(run.ids_with_status("succeeded")) >= threshold)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    # the orphaned runners notice the dead driver and stop their jobs
    wait_for(lambda: not run.ids_with_status("running"), timeout=20)
    time.sleep(0.3)
    finished_before_resume = run.ids_with_status("succeeded")
    assert len(finished_before_resume) < SAMPLES

    result = run.run()
    assert result.returncode == 0, result.stderr
    assert "continuing hp_optimization" in result.stderr
    _check_complete(run, finished_before_resume)


def test_changed_config_needs_force(hpo_workdir: Path) -> None:
    run = _experiment(hpo_workdir)
    assert run.run().returncode == 0
    more = f"optimization_setting.number_of_samples={SAMPLES + 2}"
    refused = run.run(more)
    assert refused.returncode == 2
    assert f"optimization_setting.number_of_samples: {SAMPLES} -> {SAMPLES + 2}" in refused.stderr
    assert "--force" in refused.stderr

    forced = run.run(more, "--force")
    assert forced.returncode == 0, forced.stderr
    ids = sorted(record["id"] for record in run.driver_state()["jobs"])
    assert ids == list(range(SAMPLES + 2))
    counts = run.run_counts()
    assert all(counts[job_id] == ["start", "finished"] for job_id in ids)

    again = run.run(more)  # finished, same config: nothing runs
    assert again.returncode == 0, again.stderr
    assert run.run_counts() == counts
