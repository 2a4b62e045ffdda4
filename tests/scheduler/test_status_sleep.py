"""The status thread's pause ends soon after shutdown, and lasts its interval otherwise."""

from __future__ import annotations

import asyncio
import threading
import time

from cluster_utils.scheduler.status_sleep import InterruptibleStatusSleep


class _Executor(InterruptibleStatusSleep):
    def __init__(self, interval: float) -> None:
        self.wait = True
        self.next_seconds_between_status_checks = interval


def test_the_pause_ends_when_the_run_ends() -> None:
    executor = _Executor(interval=600)
    thread = threading.Thread(target=asyncio.run, args=(executor.sleep(),))
    thread.start()
    time.sleep(0.2)
    assert thread.is_alive()  # still pausing
    executor.wait = False  # what RemoteExecutor.shutdown() does before joining the thread
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_the_pause_lasts_its_interval_while_the_run_goes_on() -> None:
    executor = _Executor(interval=0.3)
    start = time.monotonic()
    asyncio.run(executor.sleep())
    assert time.monotonic() - start >= 0.3


def test_the_cluster_executors_pause_this_way() -> None:
    from snakemake_executor_plugin_cluster_utils_htcondor import Executor as HTCondorExecutor
    from snakemake_executor_plugin_cluster_utils_pbs import Executor as PBSExecutor
    from snakemake_executor_plugin_cluster_utils_slurm import Executor as SlurmExecutor

    for executor in (SlurmExecutor, PBSExecutor, HTCondorExecutor):
        assert executor.sleep is InterruptibleStatusSleep.sleep, executor
