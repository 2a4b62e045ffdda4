"""A cancelled run stops its jobs only while the process that started it is alive."""

from __future__ import annotations

import os

from cluster_utils.scheduler.starting_process import StartingProcess


def test_with_the_starting_process_alive_the_jobs_are_cancelled() -> None:
    warnings: list[str] = []
    assert not StartingProcess("Slurm jobs", warnings.append).gone(3)
    assert warnings == []


def test_with_the_starting_process_gone_the_jobs_keep_running() -> None:
    warnings: list[str] = []
    gone = StartingProcess("PBS jobs", warnings.append, pid=os.getppid() + 1)
    assert gone.gone(2)
    assert warnings == [
        "cluster_utils: the process that started this run is gone; its 2 PBS jobs keep running, "
        "and running the same command again adopts them"
    ]
