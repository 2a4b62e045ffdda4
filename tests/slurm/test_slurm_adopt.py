"""A rerun adopts the Slurm tasks of an earlier run (no Slurm daemons: the executor's decisions)."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import types
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.scheduler import adoption
from cluster_utils.scheduler.backlog import SubmissionBacklog
from cluster_utils.scheduler.outage import SchedulerOutage
from cluster_utils.scheduler.starting_process import StartingProcess

executor_module = pytest.importorskip("snakemake_executor_plugin_cluster_utils_slurm._executor")
from snakemake_executor_plugin_cluster_utils_slurm import _adopt, _status  # noqa: E402

OLD, NEW = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


def _record(path: Path, array: str, run: str, tasks: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps({"array_job_id": array, "run": run, "tasks": tasks}) + "\n")


def test_latest_task_of_each_job_from_the_arrays_file(tmp_path: Path) -> None:
    arrays = tmp_path / ".cluster_utils" / "slurm_arrays.jsonl"
    _record(arrays, "10", OLD, ["0", "1", "2"])
    _record(arrays, "12", OLD, ["1"])  # job 1 went out again (e.g. after a failure)
    _record(arrays, "15", NEW, ["2"])  # this run's own: not an earlier task
    with open(arrays, "a") as f:
        f.write('{"array_job_id": "16", "ru')  # cut short by a kill -9
    latest = _adopt.latest_tasks(tmp_path, NEW)
    assert {job: (t.task, t.run) for job, t in latest.items()} == {
        "0": ("10_0", OLD),
        "1": ("12_0", OLD),
    }
    assert _adopt.latest_tasks(tmp_path / "none", NEW) == {}
    assert _adopt.sacct_tasks_command(["12", "10", "12"])[-2:] == ["-j", "10,12"]


@pytest.mark.parametrize(
    ("state", "still_in_scheduler"),
    [
        ("PENDING", True),
        ("RUNNING", True),
        ("REQUEUED", True),  # exit_for_resume: it runs again
        ("COMPLETED", False),  # finished: state.json decides (cluster_utils.scheduler.adoption)
        ("FAILED", False),
        ("CANCELLED", False),
    ],
)
def test_what_an_earlier_task_means(state: str, still_in_scheduler: bool) -> None:
    task = _adopt.EarlierTask("0", "10_0", OLD, _status.JobStatus("10_0", state))
    assert task.still_in_scheduler is still_in_scheduler
    assert not _adopt.EarlierTask("0", "10_0", OLD).still_in_scheduler  # unknown to sacct


def _runner_job(experiment: Path, job_id: int) -> SimpleNamespace:
    done = ExperimentLayout.at(experiment).done_marker(job_id)
    done.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "cluster_utils.runner", str(experiment), str(job_id)]
    return SimpleNamespace(
        name="run_job",
        jobid=job_id,
        output=[str(done)],
        argv=argv,
        wildcards={"job_id": str(job_id)},
        is_group=lambda: False,
    )


def _fake(tmp_path: Path, experiment: Path) -> Any:
    reported: list[Any] = []
    fake = SimpleNamespace(
        run_uuid=NEW,
        slurm_logdir=tmp_path / "slurm_logs",
        _lock=threading.Lock(),
        _in_flight=set(),
        _earlier={},
        _status_runs=set(),
        _report_job_submission_threadsafe=reported.append,
        _outage=SchedulerOutage("Slurm controller", print),
    )
    fake.reported = reported
    fake._latest_earlier_tasks = lambda exp: executor_module.Executor._latest_earlier_tasks(
        fake, exp
    )
    return fake


def test_an_adopted_job_is_registered_under_its_earlier_task(tmp_path: Path) -> None:
    experiment = tmp_path / "exp"
    running = _adopt.EarlierTask("1", "10_1", OLD, _status.JobStatus("10_1", "RUNNING"))
    job = _runner_job(experiment, 1)
    fake = _fake(tmp_path, experiment)
    executor_module.Executor._register_adopted(fake, job, job.argv, running)
    assert [(i.job.jobid, i.external_jobid) for i in fake.reported] == [(1, "10_1")]
    assert fake.reported[0].aux["cluster_utils_argv"] == job.argv
    assert not Path(job.output[0]).exists()
    assert fake._in_flight == {"10_1"}  # counts against the submit cap until it ends
    assert fake._status_runs == {OLD}  # the status query asks for the earlier run's jobs too
    fake._outage.note_failure()  # an outage is recorded in the adopted job's experiment
    assert ExperimentLayout.at(experiment).scheduler_outage.exists()


def test_a_finished_job_is_registered_as_done_without_slurm(tmp_path: Path) -> None:
    experiment = tmp_path / "exp"
    layout = ExperimentLayout.at(experiment)
    layout.job_dir(0).mkdir(parents=True)
    job_state.save_state(layout, job_state.JobState(id=0, status=job_state.STOPPED_EARLY))
    finished, pending = _runner_job(experiment, 0), _runner_job(experiment, 1)
    fake = _fake(tmp_path, experiment)
    fake.__dict__.update(
        _adoptions=adoption.AdoptionCounts(), logger=logging.getLogger("test_slurm_adopt")
    )
    register = executor_module.Executor._register_if_finished
    assert register(fake, finished) and not register(fake, pending)
    assert [i.external_jobid for i in fake.reported] == [adoption.finished_id(0)]
    assert Path(finished.output[0]).exists()  # its done marker is back
    assert fake._adoptions.already_finished == 1 and not fake._in_flight


def test_each_earlier_task_is_offered_once(tmp_path: Path) -> None:
    experiment = tmp_path / "exp"
    _record(experiment / ".cluster_utils" / "slurm_arrays.jsonl", "10", OLD, ["0", "1"])
    fake = _fake(tmp_path, experiment)
    job = _runner_job(experiment, 1)
    first = executor_module.Executor._earlier_task(fake, job.argv)
    assert first is not None and first.task == "10_1"
    assert executor_module.Executor._earlier_task(fake, job.argv) is None
    assert executor_module.Executor._earlier_task(fake, _runner_job(experiment, 7).argv) is None


def test_a_driver_killed_by_kill_9_leaves_its_slurm_jobs_running(caplog) -> None:
    fake = SimpleNamespace(
        _lock=threading.Lock(),
        _backlog=[object()],
        _flush_timer=None,
        # the process that started Snakemake is gone
        _starting_process=StartingProcess(
            "Slurm jobs", logging.getLogger("test_slurm_adopt").warning, pid=os.getppid() + 1
        ),
    )
    fake._cancel_flush = types.MethodType(SubmissionBacklog._cancel_flush, fake)
    with caplog.at_level(logging.WARNING, logger="test_slurm_adopt"):
        executor_module.Executor.cancel_jobs(fake, [_info("1_0"), _info("1_1")])  # no scancel
    assert fake._backlog == []  # nothing more is submitted
    assert "its 2 Slurm jobs keep running" in caplog.text


def _info(external_id: str) -> SimpleNamespace:
    return SimpleNamespace(external_jobid=external_id)
