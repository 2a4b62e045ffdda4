"""Letting a finished Snakemake process exit at once.

Snakemake's scheduler (``snakemake.scheduling.job_scheduler``) re-evaluates its queue after
every pass that started jobs, with a non-daemon ``threading.Timer`` of the
``max-jobs-per-timespan`` timespan (1 s by default; nothing shorter can be set: ``100ms`` is
read as 100 minutes). When the run is over nothing is scheduled any more, yet the interpreter
waits for the last of these timers before the process ends: up to a second after every grid
run and every hp_optimization batch (measured: 0.6 s of the 1.8 s between a Slurm grid's last
job and the command's return). The Snakefile's ``onsuccess`` / ``onerror`` hooks, which
Snakemake calls after its scheduler returned, cancel them.

Then the interpreter's finalization: with Snakemake and its plugins loaded, its last garbage
collections take ~0.3 s (measured: 0.30 s after ``import snakemake.cli`` alone, 0.035 s with
the objects frozen first). The same hooks freeze them at exit (``gc.freeze`` in an atexit
handler): modules are still torn down, files closed and every other atexit handler run; only
objects kept alive by reference cycles until the very end are not collected, as they are not
at ``os._exit``.
"""

from __future__ import annotations

import atexit
import gc
import threading

#: the module whose timers are the scheduler's re-evaluations (their function is defined there)
SCHEDULER_MODULE = "snakemake.scheduling.job_scheduler"


def cancel_scheduler_timers() -> int:
    """Cancel the scheduler's pending re-evaluation timers; returns how many there were.

    Call only after the scheduler has returned: a cancelled timer never wakes it again."""
    cancelled = 0
    for thread in threading.enumerate():
        function = getattr(thread, "function", None)
        if isinstance(thread, threading.Timer) and (
            getattr(function, "__module__", None) == SCHEDULER_MODULE
        ):
            thread.cancel()
            cancelled += 1
    return cancelled


def exit_promptly() -> None:
    """End of a Snakemake run: cancel the scheduler's timers and skip the final collections."""
    cancel_scheduler_timers()
    atexit.register(gc.freeze)
