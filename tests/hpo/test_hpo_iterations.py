"""3.0's iteration semantics: jobs in flight, refills per n_completed_jobs_before_resubmit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.hpo.hpo_helpers import DATA, HpoRun

pytestmark = pytest.mark.slow

IN_FLIGHT = 3
SAMPLES = 12
#: very different job lengths (seconds), by job id
DURATIONS = [1.5, 0.3, 0.7, 0.45]
#: time a finished job's successor may take to start (the target is < 1 s; CI machines are slow)
SUCCESSOR_ALLOWANCE = 0.75


def _times(run: HpoRun) -> list[tuple[float, float]]:
    spans = []
    for state in run.states().values():
        assert state["status"] == "succeeded"
        spans.append((state["attempts"][0]["start"], state["attempts"][-1]["end"]))
    return spans


def _run(workdir: Path, resubmit: int) -> HpoRun:
    shutil.copy(DATA / "counted_job.py", workdir / "job.py")
    run = HpoRun.with_config(
        workdir,
        optimization_setting={
            "number_of_samples": SAMPLES,
            "n_jobs_per_iteration": IN_FLIGHT,
            "n_completed_jobs_before_resubmit": resubmit,
        },
        fixed_params={"durations": DURATIONS},
    )
    result = run.run("--cores", str(IN_FLIGHT))
    assert result.returncode == 0, result.stderr
    return run


def test_a_finished_job_is_replaced_at_once(hpo_workdir: Path) -> None:
    run = _run(hpo_workdir, resubmit=1)
    spans = _times(run)
    assert len(spans) == SAMPLES
    starts = sorted(start for start, _ in spans)
    # From the start of the first IN_FLIGHT jobs on, while samples remain (until the last job
    # started), every job that ended has a running successor within SUCCESSOR_ALLOWANCE, so at
    # least IN_FLIGHT - 1 jobs run, except right after two jobs ended at almost the same time.
    moment = starts[IN_FLIGHT - 1]
    while moment < starts[-1]:
        running = sum(1 for start, end in spans if start <= moment < end)
        just_ended = sum(1 for _, end in spans if moment - SUCCESSOR_ALLOWANCE < end <= moment)
        where = f"at {moment - starts[0]:.2f}s"
        assert running + just_ended >= IN_FLIGHT, f"{running} running, {just_ended} ended {where}"
        if just_ended <= 1:
            assert running >= IN_FLIGHT - 1, f"only {running} jobs running {where}"
        moment += 0.01
    # and never more than IN_FLIGHT + completions so far were started
    for index, start in enumerate(starts):
        completed = sum(1 for _, end in spans if end <= start)
        assert index < IN_FLIGHT + completed


def test_resubmit_after_several_completions(hpo_workdir: Path) -> None:
    run = _run(hpo_workdir, resubmit=IN_FLIGHT)
    spans = _times(run)
    starts = sorted(start for start, _ in spans)
    for index, start in enumerate(starts):
        completed = sum(1 for _, end in spans if end <= start)
        assert index < IN_FLIGHT + (completed // IN_FLIGHT) * IN_FLIGHT
    records = run.driver_state()["jobs"]
    iterations = [record["iteration"] for record in sorted(records, key=lambda r: r["id"])]
    assert iterations == [1 + i // IN_FLIGHT for i in range(SAMPLES)]
    assert run.driver_state()["iterations_done"] == SAMPLES // IN_FLIGHT
