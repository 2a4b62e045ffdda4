"""Ctrl-C while a status cycle has the jobs out of ``active_jobs`` still cancels every
unfinished job (cluster_utils.scheduler.unfinished_jobs)."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from cluster_utils.scheduler.unfinished_jobs import CancelsUnfinishedJobs


class _Remote:
    """What RemoteExecutor does with its jobs: ``active_jobs`` gets each submission, a status
    cycle takes them all out (and puts back the unfinished ones), ``cancel()`` cancels what
    ``active_jobs`` holds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active_jobs: list[Any] = []
        self.cancelled: list[str] = []
        self.reported: list[str] = []
        self.shut_down = False

    def report_job_submission(self, job_info: Any, register_job: bool = True) -> None:
        with self.lock:
            self.active_jobs.append(job_info)

    def report_job_success(self, job_info: Any) -> None:
        self.reported.append(f"{job_info.external_jobid} ok")

    def report_job_error(self, job_info: Any, msg: str | None = None, **kwargs: Any) -> None:
        self.reported.append(f"{job_info.external_jobid} failed: {msg}")

    def take_out_for_status_cycle(self) -> list[Any]:
        with self.lock:
            jobs = list(self.active_jobs)
            self.active_jobs.clear()
        return jobs

    def cancel(self) -> None:
        with self.lock:
            jobs = list(self.active_jobs)
        self.cancel_jobs(jobs)
        self.shutdown()

    def cancel_jobs(self, active_jobs: list[Any]) -> None:
        self.cancelled.extend(j.external_jobid for j in active_jobs)

    def shutdown(self) -> None:
        self.shut_down = True


class _Executor(CancelsUnfinishedJobs, _Remote):
    pass


def _submit(executor: _Remote, *ids: str) -> list[Any]:
    jobs = [SimpleNamespace(external_jobid=i) for i in ids]
    for job in jobs:
        executor.report_job_submission(job)
    return jobs


def test_without_the_mixin_a_cancel_during_a_status_cycle_cancels_nothing() -> None:
    executor = _Remote()  # the race the mixin closes
    _submit(executor, "7_0", "7_1")
    executor.take_out_for_status_cycle()
    executor.cancel()
    assert executor.cancelled == []


def test_a_cancel_during_a_status_cycle_cancels_every_unfinished_job() -> None:
    executor = _Executor()
    first, second, third = _submit(executor, "7_0", "7_1", "7_2")
    out = executor.take_out_for_status_cycle()
    assert out == [first, second, third]
    executor.report_job_success(first)  # the cycle found it done
    executor.report_job_error(second, "exceeded request_time")
    executor.cancel()  # Ctrl-C before the cycle put the third back
    assert executor.cancelled == ["7_2"]
    assert executor.shut_down
    assert executor.reported == ["7_0 ok", "7_1 failed: exceeded request_time"]


def test_a_cancel_between_cycles_cancels_each_job_once() -> None:
    executor = _Executor()
    _submit(executor, "7_0", "7_1")
    executor.cancel()
    assert sorted(executor.cancelled) == ["7_0", "7_1"]


@pytest.mark.parametrize("plugin", ["slurm", "htcondor", "pbs"])
def test_each_cluster_executor_cancels_its_unfinished_jobs(plugin: str) -> None:
    module = pytest.importorskip(f"snakemake_executor_plugin_cluster_utils_{plugin}._executor")
    from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor

    mro = module.Executor.__mro__
    assert mro.index(CancelsUnfinishedJobs) < mro.index(RemoteExecutor)
    assert module.Executor.cancel is CancelsUnfinishedJobs.cancel


def test_the_slurm_log_directories_stay_while_jobs_are_left_in_slurm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At shutdown the Slurm plugin removes old logs and every empty log directory; a task still
    queued (the run of a killed driver, adopted by the next) would then fail at its start
    (slurmd cannot open its log). It cleans up only when no job is left."""
    module = pytest.importorskip("snakemake_executor_plugin_cluster_utils_slurm._executor")
    cleaned: list[bool] = []
    monkeypatch.setattr(
        module._slurm_plugin.Executor, "clean_old_logs", lambda self: cleaned.append(True)
    )
    executor = module.Executor.__new__(module.Executor)  # no Snakemake workflow needed here
    executor._unfinished = {}
    executor._unfinished_lock = threading.Lock()
    queued = SimpleNamespace(external_jobid="9_3")
    executor._unfinished[id(queued)] = queued
    executor.clean_old_logs()
    assert cleaned == []
    executor._forget(queued)
    executor.clean_old_logs()
    assert cleaned == [True]
