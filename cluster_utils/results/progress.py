"""Live progress of a run on stderr, one display for grid searches and optimizations.

On a terminal it is one refreshing line; otherwise a plain line whenever the counts change (at
most every ``plain_interval`` seconds), so logs of batch runs stay readable. Failed jobs are
printed above the line as they happen, with the reason and the tail of their stderr.
:class:`GridProgress` counts a grid's jobs from their status markers;
:class:`OptimizationProgress` shows an optimization's samples and best result so far.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from typing import TextIO

from cluster_utils.base.durations import format_duration
from cluster_utils.base.job_protocol import read_progress
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.scheduler_outage import OutageNotices

FAILURE_TAIL_LINES = 5


class SmoothedEta:
    """An ETA that does not jump: estimates are blended over about ``tau`` seconds."""

    def __init__(self, tau: float = 15.0) -> None:
        self.tau = tau
        self._value: float | None = None
        self._at = 0.0

    def update(self, estimate: float | None) -> str:
        now = time.monotonic()
        if estimate is None:
            self._value = None
            return "?"
        if self._value is None:
            self._value = estimate
        else:
            # the old estimate has run down meanwhile; blend it with the new one
            previous = max(self._value - (now - self._at), 0.0)
            weight = 1 - math.exp(-(now - self._at) / self.tau)
            self._value = previous + weight * (estimate - previous)
        self._at = now
        return format_duration(self._value)


class ProgressDisplay:
    """The terminal mechanics: a refreshing (or plain) line and messages above it."""

    def __init__(self, stream: TextIO = sys.stderr, plain_interval: float = 10.0) -> None:
        self.stream = stream
        self.is_tty = stream.isatty()
        self.plain_interval = plain_interval
        self.started = time.monotonic()
        self.started_wall = time.time()
        self._last_plain = 0.0
        self._last_key: object = None
        self._outage_notices: OutageNotices | None = None

    def follow_scheduler(self, layout: ExperimentLayout) -> None:
        """Print the executor's scheduler outage notices of this experiment as they come."""
        self._outage_notices = OutageNotices(layout)

    def show_scheduler_notices(self) -> None:
        if self._outage_notices is None:
            return
        for line in self._outage_notices.poll():
            self.message(f"cluster_utils: {line}")

    def message(self, text: str) -> None:
        """A line of its own (above the refreshing line on a terminal)."""
        if self.is_tty:
            self.stream.write("\r\033[K")
        print(text, file=self.stream, flush=True)

    def job_failed(
        self, job_id: int, reason: str | None, stderr_tail: str | None, log: str
    ) -> None:
        lines = [f"cluster_utils: job {job_id} failed: {reason} (logs: {log})"]
        tail = (stderr_tail or "").splitlines()[-FAILURE_TAIL_LINES:]
        lines += [f"    {line}" for line in tail]
        self.message("\n".join(lines))

    def elapsed(self) -> str:
        return format_duration(time.monotonic() - self.started)

    def show(self, line: str, key: object, *, force: bool = False) -> None:
        """Show ``line``; off a terminal only when ``key`` (the counts) changed, or ``force``."""
        if self.is_tty:
            self.stream.write("\r\033[K" + line)
            self.stream.flush()
            return
        now = time.monotonic()
        if force or (key != self._last_key and now - self._last_plain >= self.plain_interval):
            print(line, file=self.stream, flush=True)
            self._last_plain = now
            self._last_key = key

    def close(self) -> None:
        if self.is_tty:
            self.stream.write("\n")
            self.stream.flush()


class GridProgress(ProgressDisplay):
    """done / running / failed / pending of a grid's jobs, read from the job files, and an ETA."""

    def __init__(
        self,
        layout: ExperimentLayout,
        job_ids: list[int],
        stream: TextIO = sys.stderr,
        plain_interval: float = 10.0,
        *,
        draws_report: bool = False,
        scheduler_notices: bool = True,
    ) -> None:
        super().__init__(stream, plain_interval)
        self.layout = layout
        self.job_ids = set(job_ids)
        self.draws_report = draws_report
        self._eta_line = SmoothedEta()
        # jobs that failed in an earlier run are queued again: pending until they fail anew
        self._earlier_failures = self._ids_with_status(job_state.FAILED)
        self._reported_failures: set[int] = set(self._earlier_failures)
        if scheduler_notices:  # off when Snakemake's own output (with the lines) is shown
            self.follow_scheduler(layout)

    def _ids_with_status(self, status: str) -> set[int]:
        try:
            names = os.listdir(self.layout.status_dir(status))
        except FileNotFoundError:
            return set()
        return {int(n) for n in names if n.isdigit() and int(n) in self.job_ids}

    def _failed_in_this_run(self) -> set[int]:
        failed = self._ids_with_status(job_state.FAILED)
        for job_id in failed & self._earlier_failures:
            state = job_state.load_state(self.layout, job_id)
            ended = state.attempts[-1].end if state.attempts else None
            if ended is None or ended < self.started_wall:
                failed.discard(job_id)
            else:  # failed again in this run: report it again
                self._earlier_failures.discard(job_id)
                self._reported_failures.discard(job_id)
        return failed

    def _eta(self, succeeded: set[int], running: set[int], pending: int) -> float | None:
        """Seconds until every job is done, from finished jobs' durations and progress."""
        durations = []
        for job_id in list(succeeded)[-50:]:
            state = job_state.load_state(self.layout, job_id)
            durations += [a.end - a.start for a in state.attempts if a.end]
        if not durations or not running:
            return None
        mean = statistics.fmean(durations)
        remaining = 0.0
        now = time.time()
        for job_id in running:
            progress = read_progress(self.layout.working_dir(job_id))
            state = job_state.load_state(self.layout, job_id)
            elapsed = now - (state.attempts[-1].start if state.attempts else now)
            fraction = (progress or {}).get("fraction_finished")
            if fraction:
                remaining += elapsed * (1 - fraction) / fraction
            else:
                remaining += max(mean - elapsed, 0.0)
        return (remaining + pending * mean) / len(running)

    def update(self) -> None:
        self.show_scheduler_notices()
        succeeded = self._ids_with_status(job_state.SUCCEEDED)
        failed = self._failed_in_this_run()
        running = self._ids_with_status(job_state.RUNNING)
        pending = len(self.job_ids) - len(succeeded) - len(failed) - len(running)
        for job_id in sorted(failed - self._reported_failures):
            state = job_state.load_state(self.layout, job_id)
            self.job_failed(
                job_id, state.reason, state.stderr_tail, str(self.layout.job_dir(job_id))
            )
        self._reported_failures |= failed
        counts = (
            f"jobs: {len(succeeded)} done, {len(running)} running, {len(failed)} failed, "
            f"{pending} pending of {len(self.job_ids)}"
        )
        if pending == 0 and not running:
            step = "collecting results" + (" and drawing the report" if self.draws_report else "")
            self.show(f"{counts} | elapsed {self.elapsed()}, {step} ...", (counts, step))
            return
        eta = self._eta_line.update(self._eta(succeeded, running, pending))
        self.show(f"{counts} | elapsed {self.elapsed()}, ETA {eta}", counts)


class OptimizationProgress(ProgressDisplay):
    """Samples done / running / failed of an optimization, the best result so far, an ETA."""

    def __init__(
        self, total: int, metric: str, stream: TextIO = sys.stderr, plain_interval: float = 10.0
    ) -> None:
        super().__init__(stream, plain_interval)
        self.total = total
        self.metric = metric
        self._completed_at_start: int | None = None
        self._eta_line = SmoothedEta()

    def _eta(self, completed: int) -> str:
        if self._completed_at_start is None:
            self._completed_at_start = completed
        done_now = completed - self._completed_at_start
        if done_now <= 0:
            return "?"
        per_job = (time.monotonic() - self.started) / done_now
        return self._eta_line.update(per_job * (self.total - completed))

    def update(
        self,
        *,
        succeeded: int,
        failed: int,
        stopped_early: int,
        running: int,
        best: tuple[float, int] | None,
        force: bool = False,
    ) -> None:
        self.show_scheduler_notices()
        completed = succeeded + failed + stopped_early
        best_text = f"best {self.metric}={best[0]:.6g} (job {best[1]})" if best else "no result yet"
        line = (
            f"samples: {completed}/{self.total} done ({failed} failed"
            + (f", {stopped_early} stopped early" if stopped_early else "")
            + f"), {running} running | {best_text} | elapsed "
            f"{self.elapsed()}, ETA {self._eta(completed)}"
        )
        self.show(line, (succeeded, failed, stopped_early, running), force=force)
