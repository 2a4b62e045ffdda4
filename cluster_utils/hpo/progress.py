"""Progress of an optimization on stderr: done / running / failed, best so far, ETA.

On a terminal one refreshing line; otherwise a plain line when the counts change, at most every
``plain_interval`` seconds. Failed jobs are printed as they happen, with reason and stderr tail.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from cluster_utils.cli.progress import format_duration

FAILURE_TAIL_LINES = 5


class OptimizationProgress:
    def __init__(
        self,
        total: int,
        metric: str,
        stream: TextIO = sys.stderr,
        plain_interval: float = 10.0,
    ) -> None:
        self.total = total
        self.metric = metric
        self.stream = stream
        self.is_tty = stream.isatty()
        self.plain_interval = plain_interval
        self._started = time.monotonic()
        self._completed_at_start: int | None = None
        self._last_plain = 0.0
        self._last_counts: tuple[int, ...] | None = None

    def message(self, text: str) -> None:
        """A line of its own (above the refreshing line on a terminal)."""
        if self.is_tty:
            self.stream.write("\r\033[K")
        print(text, file=self.stream, flush=True)

    def job_failed(self, job_id: int, reason: str, stderr_tail: str | None, log: str) -> None:
        lines = [f"cluster_utils: job {job_id} failed: {reason} (logs: {log})"]
        tail = (stderr_tail or "").splitlines()[-FAILURE_TAIL_LINES:]
        lines += [f"    {line}" for line in tail]
        self.message("\n".join(lines))

    def _eta(self, completed: int) -> str:
        if self._completed_at_start is None:
            self._completed_at_start = completed
        done_now = completed - self._completed_at_start
        if done_now <= 0:
            return "?"
        per_job = (time.monotonic() - self._started) / done_now
        return format_duration(per_job * (self.total - completed))

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
        completed = succeeded + failed + stopped_early
        counts = (succeeded, failed, stopped_early, running)
        best_text = f"best {self.metric}={best[0]:.6g} (job {best[1]})" if best else "no result yet"
        line = (
            f"samples: {completed}/{self.total} done ({failed} failed"
            + (f", {stopped_early} stopped early" if stopped_early else "")
            + f"), {running} running | {best_text} | elapsed "
            f"{format_duration(time.monotonic() - self._started)}, ETA {self._eta(completed)}"
        )
        if self.is_tty:
            self.stream.write("\r\033[K" + line)
            self.stream.flush()
            return
        now = time.monotonic()
        if force or (counts != self._last_counts and now - self._last_plain >= self.plain_interval):
            print(line, file=self.stream, flush=True)
            self._last_plain = now
            self._last_counts = counts

    def close(self) -> None:
        if self.is_tty:
            self.stream.write("\n")
            self.stream.flush()
