"""The live progress line: counts from the job files, jobs queued again are not counted as
failed, an ETA that does not jump, and a word on what happens after the last job."""

from __future__ import annotations

import io
import time
from pathlib import Path

from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.results.progress import GridProgress, SmoothedEta


def _record(layout: ExperimentLayout, job_id: int, status: str, end: float | None) -> None:
    state = job_state.JobState(id=job_id, status=status, reason="exited with code 1")
    state.add_attempt(job_state.Attempt(start=(end or time.time()) - 1, end=end))
    job_state.save_state(layout, state)


def test_failures_of_an_earlier_run_count_as_pending_until_they_fail_again(
    tmp_path: Path,
) -> None:
    layout = ExperimentLayout.at(tmp_path)
    _record(layout, 0, job_state.FAILED, end=time.time() - 100)
    _record(layout, 1, job_state.SUCCEEDED, end=time.time() - 100)
    stream = io.StringIO()
    display = GridProgress(layout, [0, 1, 2], stream=stream, plain_interval=0)
    display.update()
    assert "1 done, 0 running, 0 failed, 2 pending of 3" in stream.getvalue()
    assert "job 0 failed" not in stream.getvalue()
    time.sleep(0.01)
    _record(layout, 0, job_state.FAILED, end=time.time())
    display.update()
    assert "1 done, 0 running, 1 failed, 1 pending of 3" in stream.getvalue()
    assert "job 0 failed: exited with code 1" in stream.getvalue()


def test_after_the_last_job_the_line_says_what_happens_next(tmp_path: Path) -> None:
    layout = ExperimentLayout.at(tmp_path)
    _record(layout, 0, job_state.SUCCEEDED, end=time.time())
    stream = io.StringIO()
    GridProgress(layout, [0], stream=stream, plain_interval=0, draws_report=True).update()
    assert "collecting results and drawing the report ..." in stream.getvalue()


def test_eta_is_smoothed() -> None:
    eta = SmoothedEta(tau=15.0)
    assert eta.update(None) == "?"
    assert eta.update(600) == "10m00s"
    # a sudden outlier estimate moves the shown ETA only a little
    shown = eta.update(60)
    minutes = int(shown.split("m")[0])
    assert 8 <= minutes <= 10
