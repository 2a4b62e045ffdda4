"""SchedulerOutage (the plugins' side) and OutageNotices (the driver's side) with a fake clock:
one line when the scheduler stops answering, one when it answers again, and the record in the
experiment directory while it lasts."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from cluster_utils.cli.status import print_status
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.scheduler_outage import (
    Outage,
    OutageNotices,
    read_outage,
    record_outage,
)
from cluster_utils.results.progress import GridProgress
from cluster_utils.scheduler.outage import SchedulerOutage


class FakeClock:
    def __init__(self) -> None:
        self.now = time.mktime((2026, 12, 6, 12, 3, 10, 0, 0, -1))

    def __call__(self) -> float:
        return self.now


def _outage(tmp_path: Path) -> tuple[SchedulerOutage, list[str], FakeClock, ExperimentLayout]:
    said: list[str] = []
    clock = FakeClock()
    outage = SchedulerOutage("Slurm controller", said.append, clock=clock)
    outage.watch(tmp_path)
    return outage, said, clock, ExperimentLayout.at(tmp_path)


def test_one_line_when_it_stops_and_one_when_it_answers_again(tmp_path: Path) -> None:
    outage, said, clock, layout = _outage(tmp_path)
    outage.note_success()
    assert said == [] and read_outage(layout) is None
    outage.note_failure("sacct: Socket timed out")
    for _ in range(5):  # every further failed query: nothing more
        clock.now += 30
        outage.note_failure("again")
    assert said == [
        "cluster_utils: Slurm controller not answering since 12:03:10; running jobs continue; "
        "waiting (sacct: Socket timed out)"
    ]
    recorded = read_outage(layout)
    assert recorded is not None and recorded.scheduler == "Slurm controller"
    assert recorded.since == FakeClock()() and outage.ongoing
    clock.now += 2
    outage.note_success()
    outage.note_success()
    assert said[1:] == ["cluster_utils: Slurm controller answering again after 2m32s"]
    assert read_outage(layout) is None and not layout.scheduler_outage.exists()
    outage.note_failure()  # a second outage is reported again
    assert said[2].endswith("running jobs continue; waiting")


def test_an_experiment_watched_during_an_outage_gets_the_record(tmp_path: Path) -> None:
    outage, _, _, _ = _outage(tmp_path / "a")
    outage.note_failure()
    outage.watch(tmp_path / "b")
    assert read_outage(ExperimentLayout.at(tmp_path / "b")) is not None
    outage.close()  # the run ends during the outage: no record is left behind
    assert read_outage(ExperimentLayout.at(tmp_path / "a")) is None
    assert read_outage(ExperimentLayout.at(tmp_path / "b")) is None


def test_the_scheduler_is_a_parameter(tmp_path: Path) -> None:
    said: list[str] = []
    clock = FakeClock()
    outage = SchedulerOutage("PBS server", said.append, clock=clock)
    clock.now += 15  # a query sent at 12:03:10 timed out after 15 s
    outage.note_failure("no answer within 15 s", asked_at=clock.now - 15)
    assert said[0].startswith("cluster_utils: PBS server not answering since 12:03:10;")
    clock.now += 5
    outage.note_success()
    assert said[1] == "cluster_utils: PBS server answering again after 0m20s"


def test_the_driver_shows_each_change_once(tmp_path: Path) -> None:
    outage, _, clock, layout = _outage(tmp_path)
    notices = OutageNotices(layout)
    assert notices.poll() == []
    outage.note_failure()
    assert notices.poll(clock.now) == [
        "Slurm controller not answering since 12:03:10; running jobs continue; waiting"
    ]
    assert notices.poll(clock.now + 10) == []
    clock.now += 92
    outage.note_success()
    assert notices.poll(clock.now) == ["Slurm controller answering again after 1m32s"]
    assert notices.poll(clock.now) == []


def test_a_record_left_by_a_killed_run_is_not_an_outage(tmp_path: Path) -> None:
    layout = ExperimentLayout.at(tmp_path)
    outage, _, _, _ = _outage(tmp_path)
    outage.note_failure()
    assert read_outage(layout) is not None  # its writer (this process) lives
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    recorded = read_outage(layout)
    assert recorded is not None
    record_outage(layout, Outage(recorded.scheduler, recorded.since, pid, recorded.host))
    assert read_outage(layout) is None


def test_the_driver_display_and_status_show_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outage, _, _, layout = _outage(tmp_path)
    layout.job_dir(0).mkdir(parents=True)
    stream = io.StringIO()
    display = GridProgress(layout, [0], stream=stream, plain_interval=0)
    display.update()
    assert "not answering" not in stream.getvalue()
    print_status(tmp_path)
    assert "scheduler not answering" not in capsys.readouterr().out
    outage.note_failure()
    display.update()
    display.update()
    assert stream.getvalue().count("Slurm controller not answering since 12:03:10") == 1
    print_status(tmp_path)
    out = capsys.readouterr().out
    assert "scheduler not answering since 12:03:10 (Slurm controller, for " in out
    outage.note_success()
    display.update()
    assert stream.getvalue().count("cluster_utils: Slurm controller answering again after") == 1
    print_status(tmp_path)
    assert "scheduler not answering" not in capsys.readouterr().out
