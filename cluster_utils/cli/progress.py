"""Live progress of a run (done / running / failed / pending, ETA), read from the job files.

On a terminal it is one refreshing line; otherwise a plain line whenever the counts change (at
most every ``plain_interval`` seconds), so logs of batch runs stay readable. New failures are
printed as they happen, with the reason.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import TextIO

from cluster_utils.base.job_protocol import read_progress
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout


def format_duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


class ProgressDisplay:
    def __init__(
        self,
        layout: ExperimentLayout,
        job_ids: list[int],
        stream: TextIO = sys.stderr,
        plain_interval: float = 10.0,
    ) -> None:
        self.layout = layout
        self.job_ids = set(job_ids)
        self.stream = stream
        self.is_tty = stream.isatty()
        self.plain_interval = plain_interval
        self._last_plain = 0.0
        self._last_line = ""
        self._reported_failures: set[int] = self._ids_with_status("failed")
        self._started = time.time()

    def _ids_with_status(self, status: str) -> set[int]:
        try:
            names = os.listdir(self.layout.status_dir(status))
        except FileNotFoundError:
            return set()
        return {int(n) for n in names if n.isdigit() and int(n) in self.job_ids}

    def _eta(self, succeeded: set[int], running: set[int], pending: int) -> str:
        durations = []
        for job_id in list(succeeded)[-50:]:
            state = job_state.load_state(self.layout, job_id)
            durations += [a.end - a.start for a in state.attempts if a.end]
        if not durations or not running:
            return "?"
        mean = statistics.fmean(durations)
        remaining = 0.0
        now = time.time()
        for job_id in running:
            progress = read_progress(self.layout.working_dir(job_id))
            state = job_state.load_state(self.layout, job_id)
            started = state.attempts[-1].start if state.attempts else now
            elapsed = now - started
            fraction = (progress or {}).get("fraction_finished")
            if fraction:
                remaining += elapsed * (1 - fraction) / fraction
            else:
                remaining += max(mean - elapsed, 0.0)
        return format_duration((remaining + pending * mean) / len(running))

    def update(self) -> None:
        succeeded = self._ids_with_status("succeeded")
        failed = self._ids_with_status("failed")
        running = self._ids_with_status("running")
        pending = len(self.job_ids) - len(succeeded) - len(failed) - len(running)
        for job_id in sorted(failed - self._reported_failures):
            state = job_state.load_state(self.layout, job_id)
            self._print_above(
                f"job {job_id} failed: {state.reason} (logs: {self.layout.job_dir(job_id)})"
            )
        self._reported_failures |= failed
        line = (
            f"jobs: {len(succeeded)} done, {len(running)} running, {len(failed)} failed, "
            f"{pending} pending of {len(self.job_ids)}"
        )
        eta = self._eta(succeeded, running, pending)
        full = f"{line} | elapsed {format_duration(time.time() - self._started)}, ETA {eta}"
        if self.is_tty:
            self.stream.write("\r\033[K" + full)
            self.stream.flush()
        elif line != self._last_line and time.time() - self._last_plain >= self.plain_interval:
            print(full, file=self.stream, flush=True)
            self._last_plain = time.time()
            self._last_line = line

    def _print_above(self, message: str) -> None:
        if self.is_tty:
            self.stream.write("\r\033[K")
        print(message, file=self.stream, flush=True)

    def close(self) -> None:
        if self.is_tty:
            self.stream.write("\n")
            self.stream.flush()
