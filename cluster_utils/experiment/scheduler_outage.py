"""``.cluster_utils/scheduler_outage.json``: the cluster's scheduler has not answered since when.

The executor plugin writes it (through ``cluster_utils.scheduler.outage.SchedulerOutage``, the one
writer) when a status query fails, and removes it when the scheduler answers again or the run
ends. The driver's progress display turns it into the two lines a user sees
(:class:`OutageNotices`), ``cluster-utils status`` into "scheduler not answering since ...". The
wording of both lines lives here, once, for every scheduler.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from dataclasses import asdict, dataclass

from cluster_utils.base.durations import format_duration
from cluster_utils.base.job_protocol import atomic_write_json
from cluster_utils.experiment.layout import ExperimentLayout


def clock_time(timestamp: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(timestamp))


@dataclass(frozen=True)
class Outage:
    #: who does not answer, as the lines name it: "Slurm controller", "HTCondor schedd", ...
    scheduler: str
    #: unix time of the first failed query
    since: float
    #: the process that noticed it (the run's Snakemake) and its host
    pid: int | None = None
    host: str | None = None

    def not_answering_line(self) -> str:
        return (
            f"{self.scheduler} not answering since {clock_time(self.since)}; "
            "running jobs continue; waiting"
        )

    def answering_again_line(self, now: float) -> str:
        return f"{self.scheduler} answering again after {format_duration(now - self.since)}"

    def writer_gone(self) -> bool:
        """Whether the process that wrote it ended without removing it (killed run)."""
        if self.pid is None or self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


def record_outage(layout: ExperimentLayout, outage: Outage) -> None:
    layout.internal.mkdir(parents=True, exist_ok=True)
    atomic_write_json(layout.scheduler_outage, asdict(outage))


def clear_outage(layout: ExperimentLayout) -> None:
    with contextlib.suppress(FileNotFoundError):
        layout.scheduler_outage.unlink()


def read_outage(layout: ExperimentLayout) -> Outage | None:
    """The outage going on now; None when there is none (or its run was killed meanwhile)."""
    try:
        with open(layout.scheduler_outage) as f:
            data = json.load(f)
        outage = Outage(
            str(data["scheduler"]), float(data["since"]), data.get("pid"), data.get("host")
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return None if outage.writer_gone() else outage


class OutageNotices:
    """The driver's side: one line when an outage shows up, one when it is over."""

    def __init__(self, layout: ExperimentLayout) -> None:
        self.layout = layout
        self._shown: Outage | None = None

    def poll(self, now: float | None = None) -> list[str]:
        current = read_outage(self.layout)
        lines = []
        if self._shown is not None and current != self._shown:
            lines.append(self._shown.answering_again_line(time.time() if now is None else now))
        if current is not None and current != self._shown:
            lines.append(current.not_answering_line())
        self._shown = current
        return lines
