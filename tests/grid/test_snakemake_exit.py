"""A finished Snakemake process does not wait for its scheduler's re-evaluation timers, nor for
a last garbage collection of everything Snakemake loaded."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from snakemake.scheduling.job_scheduler import JobScheduler

from cluster_utils.execution.snakemake_exit import cancel_scheduler_timers
from tests.helpers import REPO_ROOT, write_config


def _scheduler_timers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if isinstance(t, threading.Timer) and t.is_alive()]


def test_the_schedulers_own_timers_are_cancelled_and_others_kept() -> None:
    scheduler = SimpleNamespace(_open_jobs=threading.Semaphore(0))
    # what Snakemake's scheduler does after each pass that started jobs (a 1-s timespan)
    JobScheduler._schedule_reevalutation(scheduler, 600)
    other = threading.Timer(600, lambda: None)
    other.start()
    try:
        (pending,) = [t for t in _scheduler_timers() if t is not other]
        assert cancel_scheduler_timers() == 1
        pending.join(timeout=10)
        assert not pending.is_alive()  # the interpreter no longer waits for it at exit
        assert other.is_alive()
        assert not scheduler._open_jobs.acquire(blocking=False)  # it never woke the scheduler
    finally:
        other.cancel()


#: runs Snakemake in this process, then lists the timers still pending when its main returned
#: (neither cancelled nor fired: a cancelled timer's thread may take a moment to end on a busy
#: machine, but ends without waiting for its interval)
_PROBE = """
import atexit, gc, sys, threading
atexit.register(lambda: print(f"frozen at exit: {gc.get_freeze_count() > 0}"))  # runs last
from snakemake.cli import main
try:
    main(sys.argv[1:])
except SystemExit as end:
    code = end.code
left = [
    t for t in threading.enumerate()
    if isinstance(t, threading.Timer) and t.is_alive() and not t.finished.is_set()
]
print(f"exit={code} pending timers={len(left)}")
"""


@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_the_workflow_leaves_no_timer_behind(tmp_path: Path, outcome: str) -> None:
    """A plain `snakemake --profile profiles/local` grid (onsuccess) and one with a failing job
    (onerror): when Snakemake's main returns, no timer keeps the process alive, and at exit
    the objects are frozen (no final collection)."""
    (tmp_path / "job.py").write_text(
        "from cluster_utils import initialize_job, finalize_job\n"
        "params = initialize_job()\n"
        "assert params.x != 1 or params.fail == 'no'\n"
        "finalize_job({'y': params.x}, params)\n"
    )
    fail = "yes" if outcome == "failure" else "no"
    write_config(
        tmp_path / "grid.yaml",
        "exits",
        hyperparam_list=[{"param": "x", "values": [0, 1]}],
        fixed_params={"fail": fail},
        generate_report="never",
    )
    argv = ["--snakefile", str(REPO_ROOT / "Snakefile"), "--configfile", "grid.yaml"]
    argv += ["--profile", str(REPO_ROOT / "profiles" / "local"), "--cores", "2"]
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    code = 0 if outcome == "success" else 1
    assert f"exit={code} pending timers=0" in result.stdout, result.stderr[-3000:]
    assert "frozen at exit: True" in result.stdout
