"""The one "is this job finished?" rule (``job_state.is_finished``) and the callers that obey it:
the runner does not run a finished job again, the repair keeps a finished job's ``done`` marker,
``--dry-run`` lists it as skipped, and the executors' adoption registers it as done."""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster_utils.base import constants
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.repair import repair_jobs
from cluster_utils.grid.dry_run import job_action
from cluster_utils.runner.job_runner import JobRunner
from cluster_utils.scheduler import adoption

#: status, metrics.csv in the working directory, metrics copied into state.json -> finished?
CASES = [
    (job_state.SUCCEEDED, True, False, True),
    (job_state.SUCCEEDED, False, True, True),  # remove_working_dirs kept them in state.json
    (job_state.SUCCEEDED, False, False, False),  # metrics.csv deleted: runs again
    (job_state.STOPPED_EARLY, False, False, True),  # kill_bad_jobs_early: done, not a failure
    (job_state.FAILED, True, False, False),
    (job_state.RUNNING, True, False, False),
    (job_state.PENDING, False, False, False),
]


def _job(root: Path, status: str, metrics_file: bool, metrics_in_state: bool) -> ExperimentLayout:
    layout = ExperimentLayout.at(root)
    layout.job_dir(2).mkdir(parents=True)
    metrics = {"y": 1} if metrics_in_state else None
    job_state.save_state(layout, job_state.JobState(id=2, status=status, metrics=metrics))
    if metrics_file:
        layout.working_dir(2).mkdir(parents=True)
        (layout.working_dir(2) / constants.CLUSTER_METRIC_FILE).write_text("y\n1\n")
    return layout


@pytest.mark.parametrize(("status", "metrics_file", "metrics_in_state", "finished"), CASES)
def test_the_rule(
    tmp_path: Path, status: str, metrics_file: bool, metrics_in_state: bool, finished: bool
) -> None:
    layout = _job(tmp_path, status, metrics_file, metrics_in_state)
    assert job_state.is_finished(layout, job_state.load_state(layout, 2)) is finished
    assert job_state.job_is_finished(layout, 2) is finished
    assert adoption.already_finished(tmp_path, 2) is finished


def test_no_state_or_an_unreadable_one_is_not_finished(tmp_path: Path) -> None:
    layout = ExperimentLayout.at(tmp_path)
    assert not job_state.job_is_finished(layout, 9)
    layout.job_dir(9).mkdir(parents=True)
    layout.state_file(9).write_text('{"status": "succ')
    assert not job_state.job_is_finished(layout, 9)


@pytest.mark.parametrize(("status", "metrics_file", "metrics_in_state", "finished"), CASES)
def test_repair_and_dry_run_follow_the_rule(
    tmp_path: Path, status: str, metrics_file: bool, metrics_in_state: bool, finished: bool
) -> None:
    layout = _job(tmp_path, status, metrics_file, metrics_in_state)
    assert job_action(layout, 2).startswith("skip") is finished
    layout.done_marker(2).touch()
    assert repair_jobs(layout, [2]) == ([] if finished else [2])
    assert layout.done_marker(2).exists() is finished


@pytest.mark.parametrize(
    ("status", "metrics_file", "metrics_in_state", "finished"),
    [case for case in CASES if case[0] != job_state.RUNNING],
)
def test_the_runner_follows_the_rule(
    tmp_path: Path,
    status: str,
    metrics_file: bool,
    metrics_in_state: bool,
    finished: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    layout = _job(tmp_path, status, metrics_file, metrics_in_state)
    layout.abort_file.parent.mkdir(parents=True, exist_ok=True)
    layout.abort_file.write_text("stop here\n")  # a job that is not finished is not started
    code = JobRunner(tmp_path, 2).run()
    out = capsys.readouterr()
    if finished:
        assert code == 0 and "already finished; not run again" in out.out
        assert layout.done_marker(2).exists()
    else:
        assert code != 0 and "not started: stop here" in out.err
        assert not layout.done_marker(2).exists()
