"""The runner's own timeout signal (cluster_requirements.signal_seconds_to_timeout) for the
schedulers that do not send it at the requested second themselves (Slurm, PBS): a timer that
signals the job script some seconds before the job's end. Each backend says when its job ends."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time


def signal_before_end(
    pid: int, end: float, seconds_to_timeout: int, sig: int = signal.SIGUSR1
) -> threading.Timer:
    """Send ``sig`` to process ``pid`` ``seconds_to_timeout`` s before ``end`` (epoch seconds);
    at once if that is past. Cancel the returned (daemon) timer when the script ends."""
    delay = max(0.0, end - seconds_to_timeout - time.time())

    def _send() -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)

    timer = threading.Timer(delay, _send)
    timer.daemon = True
    timer.start()
    return timer
