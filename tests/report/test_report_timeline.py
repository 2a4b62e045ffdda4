"""Timelines from cluster_run.log (3.0's script) and from state.json files."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from cluster_utils.report.timeline import timelines_from_states
from cluster_utils.scripts.plot_job_timeline import JobStatus, main, parse_cluster_run_log


def test_parse_cluster_run_log(sample_log: Path) -> None:
    runs = parse_cluster_run_log(sample_log, cap_running_jobs_length=True)
    t = dt.datetime
    assert runs[0] == [
        (t(2024, 3, 1, 10, 0, 1, 100000), t(2024, 3, 1, 10, 0, 1, 100000), JobStatus.SUBMITTED),
        (t(2024, 3, 1, 10, 0, 5), t(2024, 3, 1, 10, 5, 0, 500000), JobStatus.EXIT_FOR_RESUME),
        (t(2024, 3, 1, 10, 5, 30, 250000), t(2024, 3, 1, 10, 12), JobStatus.FINISHED),
    ]
    assert runs[1][1] == (
        t(2024, 3, 1, 10, 0, 6),
        t(2024, 3, 1, 10, 10, 0, 125000),
        JobStatus.FINISHED,
    )
    assert runs[2][1] == (t(2024, 3, 1, 10, 0, 7), t(2024, 3, 1, 10, 7), JobStatus.FAILED)
    # still running: capped at last event + 40 % of (last event - first start) = 745 s * 0.4
    assert runs[3][1] == (
        t(2024, 3, 1, 10, 12, 30),
        t(2024, 3, 1, 10, 12, 30) + dt.timedelta(seconds=298),
        JobStatus.RUNNING,
    )
    assert len(runs[2]) == 2  # the traceback continuation line is not an event


def test_exiting_now_ends_open_runs(sample_log: Path, tmp_path: Path) -> None:
    log = tmp_path / "cluster_run.log"
    log.write_text(
        sample_log.read_text() + "2024-03-01 10:20:00,000 - cluster_utils - INFO - Exiting now\n"
    )
    runs = parse_cluster_run_log(log)
    assert runs[3][-1].end_status is JobStatus.CLUSTER_UTILS_EXIT
    assert runs[3][-1].end_time == dt.datetime(2024, 3, 1, 10, 20)


def test_states_both_meanings_of_resumed() -> None:
    # this project's runner: the attempt that exited for resume carries resumed=True
    runner_style = {
        1: {
            "status": "succeeded",
            "attempts": [
                {"start": 0, "end": 10, "return_code": 3, "resumed": True},
                {"start": 12, "end": 20, "return_code": 0, "resumed": False},
            ],
        }
    }
    # the other reading: the continuation carries resumed=True
    continuation_style = {
        1: {
            "status": "succeeded",
            "attempts": [
                {"start": 0, "end": 10, "return_code": None, "resumed": False},
                {"start": 12, "end": 20, "return_code": 0, "resumed": True},
            ],
        }
    }
    for states in (runner_style, continuation_style):
        (timeline,) = timelines_from_states(states)
        assert [a.outcome for a in timeline.attempts] == ["resumed", "succeeded"]
        assert [a.continued for a in timeline.attempts] == [False, True]


def test_states_running_and_failed() -> None:
    states = {
        0: {"status": "running", "attempts": [{"start": 5, "end": None, "return_code": None}]},
        1: {"status": "failed", "attempts": [{"start": 5, "end": 9, "return_code": 1}]},
        2: {"status": "pending", "attempts": []},
    }
    outcomes = {t.job_id: [a.outcome for a in t.attempts] for t in timelines_from_states(states)}
    assert outcomes == {0: ["running"], 1: ["failed"]}


def test_script_saves_a_plot(sample_log: Path, tmp_path: Path) -> None:
    out = tmp_path / "timeline.png"
    assert main([str(sample_log), "--cap-running-jobs", "--save", str(out)]) == 0
    assert out.stat().st_size > 10_000


@pytest.mark.slow
def test_script_accepts_experiment_dir_and_fails_cleanly(grid_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "timeline.pdf"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cluster_utils.scripts.plot_job_timeline",
            str(grid_dir),
            "--save",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
    assert main([str(tmp_path / "missing.log"), "--save", str(out)]) == 1
